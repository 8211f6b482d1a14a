// A TCP port on 127.0.0.1 that was free a moment ago, for a server the test starts in another
// process (QEMU, vsftpd, code-server). Another process may take it before that server binds it:
// callers that can, try again on "Address already in use".

import * as net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
