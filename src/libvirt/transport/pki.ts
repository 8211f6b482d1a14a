// Locates the client's TLS credentials in libvirt's PKI layout (see libvirt's
// docs/kbase/tlscerts.rst and src/rpc/virnettlscontext.c):
//   pkipath=DIR        DIR/cacert.pem, DIR/clientcert.pem, DIR/private/clientkey.pem or DIR/clientkey.pem
//   root / system      /etc/pki/CA/cacert.pem, /etc/pki/libvirt/clientcert.pem,
//                      /etc/pki/libvirt/private/clientkey.pem
//   other users        ~/.pki/libvirt/{cacert,clientcert,clientkey}.pem, each falling back to the
//                      system file when missing

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TransportError } from './transportErrors';

export interface PkiFiles {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface PkiCredentials {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly files: PkiFiles;
}

const SYSTEM: PkiFiles = {
  caCert: '/etc/pki/CA/cacert.pem',
  clientCert: '/etc/pki/libvirt/clientcert.pem',
  clientKey: '/etc/pki/libvirt/private/clientkey.pem',
};

export function locatePkiFiles(
  pkipath: string | undefined,
  user = { uid: os.userInfo().uid, home: os.homedir() },
  exists: (p: string) => boolean = (p) => fs.existsSync(p),
): PkiFiles {
  if (pkipath !== undefined) {
    const nestedKey = path.join(pkipath, 'private', 'clientkey.pem');
    return {
      caCert: path.join(pkipath, 'cacert.pem'),
      clientCert: path.join(pkipath, 'clientcert.pem'),
      clientKey: exists(nestedKey) ? nestedKey : path.join(pkipath, 'clientkey.pem'),
    };
  }
  if (user.uid === 0) return SYSTEM;
  const dir = path.join(user.home, '.pki', 'libvirt');
  const pick = (name: string, system: string): string => (exists(path.join(dir, name)) ? path.join(dir, name) : system);
  return {
    caCert: pick('cacert.pem', SYSTEM.caCert),
    clientCert: pick('clientcert.pem', SYSTEM.clientCert),
    clientKey: pick('clientkey.pem', SYSTEM.clientKey),
  };
}

export function loadPkiCredentials(files: PkiFiles): PkiCredentials {
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new TransportError(`Cannot read the ${what} '${file}' needed for TLS (set pkipath= in the URI?)`, { cause: err });
    }
  };
  return {
    ca: read(files.caCert, 'CA certificate'),
    cert: read(files.clientCert, 'client certificate'),
    key: read(files.clientKey, 'client key'),
    files,
  };
}
