// Reads a libvirt source directory (protocol/*.x and include/*.h, as laid out under
// /work/shared/reference/libvirt-<version>) and returns the generated modules in memory.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateConstants } from './emitConstants';
import { GenError, generateProtocols, type ProcedureSummary, type ProtocolInput } from './emitProtocol';
import { parseHeaders } from './headerParser';
import { parseXdr } from './xdrParser';

/** The .x files, in dependency order, and the module each becomes. */
export const PROTOCOL_FILES: readonly { readonly source: string; readonly module: string }[] = [
  { source: 'protocol/virnetprotocol.x', module: 'virnetProtocol' },
  { source: 'protocol/virkeepaliveprotocol.x', module: 'keepaliveProtocol' },
  { source: 'protocol/remote_protocol.x', module: 'remoteProtocol' },
  { source: 'protocol/qemu_protocol.x', module: 'qemuProtocol' },
];

/**
 * libvirt-common.h is generated at build time from libvirt-common.h.in, so a source tree may
 * lack it; these are its typed-parameter constants (the values are part of the wire protocol,
 * see remote_typed_param_value in remote_protocol.x).
 */
const COMMON_H = {
  file: 'include/libvirt-common.h.in',
  text: `
# define VIR_TYPED_PARAM_FIELD_LENGTH 80
typedef enum {
  VIR_TYPED_PARAM_INT = 1, VIR_TYPED_PARAM_UINT = 2, VIR_TYPED_PARAM_LLONG = 3, VIR_TYPED_PARAM_ULLONG = 4,
  VIR_TYPED_PARAM_DOUBLE = 5, VIR_TYPED_PARAM_BOOLEAN = 6, VIR_TYPED_PARAM_STRING = 7,
} virTypedParameterType;
typedef enum { VIR_TYPED_PARAM_STRING_OKAY = 1 << 2 } virTypedParameterFlags;
`,
};

export interface GenerateResult {
  /** File name (no directory) to contents. */
  readonly files: ReadonlyMap<string, string>;
  readonly typeCount: number;
  readonly procedures: readonly ProcedureSummary[];
}

/** Reads the version from a directory named like `libvirt-9.0.0`. */
export function versionFromDir(dir: string): string | undefined {
  return /libvirt-(\d+\.\d+\.\d+)$/.exec(path.basename(path.resolve(dir)))?.[1];
}

export function generate(sourceDir: string, version?: string): GenerateResult {
  const v = version ?? versionFromDir(sourceDir);
  if (v === undefined) throw new GenError(`cannot tell the libvirt version from ${sourceDir}; pass --libvirt-version`);
  const incDir = path.join(sourceDir, 'include');
  const headerNames = fs.readdirSync(incDir).filter((f) => f.endsWith('.h')).sort();
  // libvirt-host.h and libvirt-domain.h define names other headers use; read them first.
  const first = ['libvirt-host.h', 'libvirt-domain.h'];
  headerNames.sort((a, b) => {
    const ia = first.indexOf(a) < 0 ? first.length : first.indexOf(a);
    const ib = first.indexOf(b) < 0 ? first.length : first.indexOf(b);
    return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
  });
  const headers = parseHeaders([
    ...(headerNames.includes('libvirt-common.h') ? [] : [COMMON_H]),
    ...headerNames.map((f) => ({ file: `include/${f}`, text: fs.readFileSync(path.join(incDir, f), 'utf8') })),
  ]);
  const inputs: ProtocolInput[] = PROTOCOL_FILES.map((p) => ({
    ...p,
    parsed: parseXdr(p.source, fs.readFileSync(path.join(sourceDir, p.source), 'utf8')),
  }));
  const protocols = generateProtocols(inputs, headers.numbers, v);
  const files = new Map(protocols.files);
  files.set('libvirtConstants.ts', generateConstants(headers, v, [...(headerNames.includes('libvirt-common.h') ? [] : [COMMON_H.file]), ...headerNames.map((f) => `include/${f}`)]));
  return { files, typeCount: protocols.typeCount, procedures: protocols.procedures };
}
