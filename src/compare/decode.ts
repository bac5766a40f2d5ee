/**
 * Content-decoding of captured bodies before they are compared (gzip'd bodies compare as noise
 * otherwise: opendiffy/diffy#93). Synchronous node:zlib with `maxOutputLength`, so a zip bomb
 * stops at the compare cap instead of filling memory. Stacked codings (`gzip, br`: gzip applied
 * first, RFC 9110 §8.4) are undone right to left. A truncated capture is decoded with a sync
 * flush, which yields whatever the prefix holds instead of failing on the missing end.
 * Failures are values, never exceptions.
 */
import zlib from 'node:zlib';

/** Why a body couldn't be decoded. */
export type DecodeFailure =
  | 'unsupported' // a coding we don't implement (compress, zstd, …)
  | 'corrupt' // the data isn't valid for its coding (or a complete body ended early)
  | 'too-large'; // decoding would exceed the cap

/** Result of {@link decodeBody}. */
export type Decoded =
  | {
      readonly ok: true;
      readonly body: Buffer;
      /** An identity body longer than maxBody was cut to it. */
      readonly cut: boolean;
    }
  | { readonly ok: false; readonly reason: DecodeFailure; readonly encoding: string };

/** What decodeBody needs to know about the capture. */
export interface DecodeOptions {
  /** Most decoded bytes (the rules' maxBody). */
  readonly maxBody: number;
  /** The capture holds only a prefix of the body: decode what the prefix yields. */
  readonly truncated?: boolean;
}

type Header = string | readonly string[] | undefined;

/**
 * The codings listed in a Content-Encoding field, in the order they were applied (`identity` dropped).
 * @example codingsOf('gzip, BR') // ['gzip', 'br']
 */
export function codingsOf(value: Header): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/** Raw deflate has no zlib header: a valid one has CM = 8 and a header checksum divisible by 31. */
function isZlibWrapped(b: Buffer): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

function step(coding: string, input: Buffer, maxOutputLength: number, truncated: boolean): Buffer | undefined {
  const z = { maxOutputLength, ...(truncated ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}) };
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(input, z);
    case 'deflate':
      // Servers send both zlib-wrapped (RFC 1950, as specified) and raw (RFC 1951) deflate.
      return isZlibWrapped(input) ? zlib.inflateSync(input, z) : zlib.inflateRawSync(input, z);
    case 'br':
      return zlib.brotliDecompressSync(input, {
        maxOutputLength,
        ...(truncated ? { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH } : {}),
      });
    default:
      return undefined;
  }
}

/**
 * Decodes `body` per its Content-Encoding. Identity bodies come back as is (cut to maxBody).
 * @example decodeBody(gzipped, { 'content-encoding': 'gzip' }, { maxBody: 1 << 20 }) // { ok: true, body, cut: false }
 * @example decodeBody(prefix, { 'content-encoding': 'br' }, { maxBody: 1 << 20, truncated: true }) // the decodable start
 */
export function decodeBody(body: Buffer, headers: Readonly<Record<string, string | readonly string[]>>, opts: DecodeOptions): Decoded {
  const codings = codingsOf(headers['content-encoding']);
  const max = Math.max(1, Math.floor(opts.maxBody));
  let out = body;
  for (let i = codings.length - 1; i >= 0 && out.length > 0; i--) {
    const coding = codings[i]!;
    try {
      const next = step(coding, out, max, opts.truncated === true);
      if (next === undefined) return { ok: false, reason: 'unsupported', encoding: coding };
      out = next;
    } catch (err) {
      const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return { ok: false, reason: tooLarge ? 'too-large' : 'corrupt', encoding: coding };
    }
  }
  // Only identity bodies can exceed the cap here (decoders stop at it with 'too-large').
  return out.length > max ? { ok: true, body: out.subarray(0, max), cut: true } : { ok: true, body: out, cut: false };
}
