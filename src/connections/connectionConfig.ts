// A saved connection, as stored in the `libvirtVms.connections` setting.

export interface ConnectionConfig {
  readonly id: string;
  readonly name: string;
  readonly uri: string;
  readonly autoconnect: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keeps the well-formed entries of the setting's raw value (first one wins on a duplicate id). */
export function parseConnectionsSetting(raw: unknown): ConnectionConfig[] {
  if (!Array.isArray(raw)) return [];
  const seen = new Set<string>();
  const out: ConnectionConfig[] = [];
  for (const v of raw) {
    if (!isRecord(v) || typeof v.id !== 'string' || typeof v.uri !== 'string' || v.id === '' || v.uri === '') continue;
    if (seen.has(v.id)) continue;
    seen.add(v.id);
    out.push({
      id: v.id,
      uri: v.uri,
      name: typeof v.name === 'string' && v.name !== '' ? v.name : v.uri,
      autoconnect: typeof v.autoconnect === 'boolean' ? v.autoconnect : true,
    });
  }
  return out;
}
