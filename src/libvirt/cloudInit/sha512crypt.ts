// SHA-512 crypt ("$6$", Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512", as glibc's
// crypt(3) and `openssl passwd -6`): a cloud-init user's password is hashed here, so only the hash
// leaves the extension (it goes into the seed's user-data as `passwd`).

import { createHash, randomBytes } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;

const sha512 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `len` bytes of `digest` repeated (the P and S sequences of the algorithm). */
function repeatTo(digest: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += 64) digest.copy(out, i, 0, Math.min(64, len - i));
  return out;
}

/** A random salt of 16 characters from the crypt alphabet. */
export function randomSalt(): string {
  return [...randomBytes(16)].map((b) => ITOA64[b & 63]).join('');
}

/** The "$6$salt$hash" form of `password` (salt: up to 16 characters of [./0-9A-Za-z]). */
export function sha512Crypt(password: string, salt: string = randomSalt(), rounds = ROUNDS_DEFAULT): string {
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new RangeError('The salt must be 1 to 16 characters of ./0-9A-Za-z');
  if (!Number.isInteger(rounds) || rounds < 1000 || rounds > 999_999_999) throw new RangeError('rounds must be from 1000 to 999999999');
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt, 'latin1');
  const B = sha512(P, S, P);
  const a = createHash('sha512').update(P).update(S);
  for (let n = P.length; n > 0; n -= 64) a.update(B.subarray(0, Math.min(64, n)));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();
  const dp = createHash('sha512');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pseq = repeatTo(dp.digest(), P.length);
  const ds = createHash('sha512');
  for (let i = 0; i < 16 + A[0]!; i++) ds.update(S);
  const Sseq = repeatTo(ds.digest(), S.length);
  let C = A;
  for (let i = 0; i < rounds; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? Pseq : C);
    if (i % 3 !== 0) h.update(Sseq);
    if (i % 7 !== 0) h.update(Pseq);
    h.update(i & 1 ? C : Pseq);
    C = h.digest();
  }
  let out = '';
  const b64 = (b2: number, b1: number, b0: number, n: number): void => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++, w >>= 6) out += ITOA64[w & 63];
  };
  // The triples (i, i+21, i+42) rotated by i mod 3: (0,21,42), (22,43,1), (44,2,23), (3,24,45)…
  for (let i = 0; i < 21; i++) {
    const t = [C[i]!, C[i + 21]!, C[i + 42]!];
    const r = i % 3;
    b64(t[r]!, t[(r + 1) % 3]!, t[(r + 2) % 3]!, 4);
  }
  b64(0, 0, C[63]!, 2);
  return `$6$${rounds === ROUNDS_DEFAULT ? '' : `rounds=${rounds}$`}${salt}$${out}`;
}
