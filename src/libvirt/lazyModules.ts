// Packages the tree never needs at activation, loaded on first use instead: ssh2 and its crypto
// dependencies (about a quarter of the bundle, plus the Node built-ins they pull in: https, zlib,
// readline) only for SSH connections, yaml only for cloud-init, basic-ftp only for ftp:// install trees. In the esbuild bundle each stays
// inside the one file but its module body runs at the first call (esbuild wraps CommonJS packages
// in a lazily evaluated function), so activation does not pay for it.
import type * as BasicFtp from 'basic-ftp';
import type * as Ssh2 from 'ssh2';
import type * as Yaml from 'yaml';

let ssh2Module: typeof Ssh2 | undefined;
let yamlModule: typeof Yaml | undefined;
let ftpModule: typeof BasicFtp | undefined;

export function ssh2(): typeof Ssh2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ssh2Module ??= require('ssh2') as typeof Ssh2;
  return ssh2Module;
}

export function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  yamlModule ??= require('yaml') as typeof Yaml;
  return yamlModule;
}

/** basic-ftp, for network installs from ftp:// trees only. */
export function basicFtp(): typeof BasicFtp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ftpModule ??= require('basic-ftp') as typeof BasicFtp;
  return ftpModule;
}
