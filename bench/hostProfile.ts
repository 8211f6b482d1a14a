// A CPU profile of the extension host over part of a VS Code benchmark, through Node's inspector
// (https://nodejs.org/api/inspector.html): the profile format Chrome DevTools and VS Code open.

import * as fs from 'node:fs';
import * as inspector from 'node:inspector';

function post(session: inspector.Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
}

/**
 * Starts sampling (every 200 µs) when `file` is set; the returned function stops and writes the
 * profile to `file`. Without a file both do nothing.
 */
export async function startHostProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => undefined;
  const session = new inspector.Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  return async () => {
    const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
