// What the commands read from their arguments: the tree's nodes, or plain objects from the palette,
// tests and other commands (`{ connectionId }`).

import type { TreeNode } from '../views/treeNode';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The connection a command argument names: `{ connectionId }`, or a tree node at or below a connection. */
export function connectionIdOf(arg: unknown): string | undefined {
  if (!isRecord(arg)) return undefined;
  if (typeof arg['connectionId'] === 'string') return arg['connectionId'];
  let node = arg as unknown as TreeNode | undefined;
  while (node && node.kind !== 'connection') node = node.parent;
  return node?.kind === 'connection' ? node.session.id : undefined;
}
