// Turns a command argument into the object whose XML to open. Accepts the tree's nodes (VMs,
// networks, pools, volumes, snapshots: they expose a kind, a ref and their connection through a
// session/host or their parent) and plain locations `{ connectionId, object: { kind, name, parent? } }`
// (tests and other callers). Structural checks only: no import of the views.

import { XML_OBJECT_KINDS, type XmlObjectId, type XmlObjectKind } from './objectXml';
import type { XmlLocation } from './xmlPath';

type Rec = Record<string, unknown>;

function rec(x: unknown): Rec | undefined {
  return typeof x === 'object' && x !== null ? (x as Rec) : undefined;
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

/** The connection id of a node: its own, its session's or host's, or an ancestor's. */
function connectionIdOf(node: Rec): string | undefined {
  for (let n: Rec | undefined = node, depth = 0; n && depth < 8; n = rec(n['parent']), depth++) {
    const own = str(n['connectionId']);
    if (own) return own;
    const viaSession = str(rec(n['session'])?.['id']) ?? str(rec(n['host'])?.['id']);
    if (viaSession) return viaSession;
  }
  return undefined;
}

const NODE_KINDS: Readonly<Record<string, XmlObjectKind>> = {
  vm: 'domain',
  network: 'network',
  resourceNetwork: 'network',
  storagePool: 'pool',
  resourcePool: 'pool',
  resourceVolume: 'volume',
  snapshot: 'snapshot',
};

function isKind(x: unknown): x is XmlObjectKind {
  return typeof x === 'string' && (XML_OBJECT_KINDS as readonly string[]).includes(x);
}

export function locationFromArg(arg: unknown): XmlLocation | undefined {
  const a = rec(arg);
  if (!a) return undefined;
  // A plain location.
  const obj = rec(a['object']);
  const cid = str(a['connectionId']);
  if (obj && cid && isKind(obj['kind']) && str(obj['name'])) {
    const parent = str(obj['parent']);
    const object: XmlObjectId = parent !== undefined ? { kind: obj['kind'], name: obj['name'] as string, parent } : { kind: obj['kind'], name: obj['name'] as string };
    return { connectionId: cid, object };
  }
  const kind = NODE_KINDS[str(a['kind']) ?? ''];
  if (!kind) return undefined;
  const connectionId = connectionIdOf(a);
  if (!connectionId) return undefined;
  const ref = rec(a['ref']);
  const name = str(ref?.['name']);
  if (!name) return undefined;
  switch (kind) {
    case 'volume': {
      const pool = str(ref?.['pool']);
      return pool ? { connectionId, object: { kind, name, parent: pool } } : undefined;
    }
    case 'snapshot': {
      const dom = str(rec(ref?.['dom'])?.['name']);
      return dom ? { connectionId, object: { kind, name, parent: dom } } : undefined;
    }
    default:
      return { connectionId, object: { kind, name } };
  }
}
