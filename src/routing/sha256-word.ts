/**
 * The first 32-bit word of SHA-256 (FIPS 180-4 §6.2) for messages that fit one 64-byte block (up to
 * 55 UTF-8 bytes), in plain JavaScript. The sticky hash needs only those 4 bytes of `seed\nkey`, and
 * for such short inputs the 64 rounds here cost less than a call into OpenSSL (~0.6 µs vs ~1.1 µs
 * per request in a micro-run); longer inputs go to `node:crypto` (hash.ts). Same bits either way.
 */

/** FIPS 180-4 §4.2.2: the round constants. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
/** FIPS 180-4 §5.3.3: the initial hash value. */
const H = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** The longest message one padded block holds: 64 bytes minus the 0x80 marker and the 8-byte length. */
export const ONE_BLOCK_BYTES = 55;

// Reused per call: the hash runs synchronously, so one block and one schedule serve every request.
const block = new Uint8Array(64);
const w = new Int32Array(64);
const encoder = new TextEncoder();

/**
 * uint32 big-endian of sha256(text)[0..4], or -1 when `text` is longer than one block (55 UTF-8 bytes).
 * @example sha256Word('abc') // 0xba7816bf
 */
export function sha256Word(text: string): number {
  block.fill(0);
  // UTF-8 as node:crypto encodes a string (lone surrogates become U+FFFD in both).
  const { read, written } = encoder.encodeInto(text, block);
  if (read !== text.length || written > ONE_BLOCK_BYTES) return -1;
  block[written] = 0x80;
  const bits = written * 8;
  block[62] = bits >>> 8;
  block[63] = bits & 0xff;
  for (let i = 0; i < 16; i++) w[i] = (block[i * 4]! << 24) | (block[i * 4 + 1]! << 16) | (block[i * 4 + 2]! << 8) | block[i * 4 + 3]!;
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let f = H[5]!;
  let g = H[6]!;
  let h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  return (a + H[0]!) >>> 0;
}
