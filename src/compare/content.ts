/**
 * Which comparator a body gets: `json` (structural diff), `text` (line diff) or `bytes` (length
 * and digest). The Content-Type decides; a body without one is sniffed — JSON if it parses, text if
 * it is valid UTF-8 without control bytes — because Diffy's content-type brittleness was a
 * recurring complaint (diffy#18, #54, #82).
 */
import { isUtf8 } from 'node:buffer';

/** A body's comparison class. */
export type ContentClass = 'json' | 'text' | 'bytes';

const TEXT_TYPES = new Set([
  'application/xml',
  'application/xhtml+xml',
  'application/x-www-form-urlencoded',
  'application/javascript',
  'application/ecmascript',
  'application/x-ndjson',
  'application/yaml',
  'application/graphql',
]);

/**
 * The media type without parameters, lower-cased ('' when absent).
 * @example mediaType('Application/JSON; charset=utf-8') // 'application/json'
 */
export function mediaType(contentType: string | readonly string[] | undefined): string {
  const v = typeof contentType === 'string' ? contentType : contentType?.[0];
  if (v === undefined) return '';
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
}

/** Valid UTF-8 with no control bytes other than tab, CR, LF and FF? */
function looksLikeText(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13) return false;
    if (c === 0x7f) return false;
  }
  return isUtf8(body);
}

function parsesAsJson(body: Buffer): boolean {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  // Only objects and arrays: a bare `"ok"` or `42` body reads better as text.
  if (body[i] !== 0x7b && body[i] !== 0x5b) return false;
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Classifies a (decoded) body.
 * @example contentClass('application/problem+json', body) // 'json'
 * @example contentClass('text/html; charset=utf-8', body) // 'text'
 * @example contentClass(undefined, Buffer.from('{"a":1}')) // 'json' (sniffed)
 */
export function contentClass(contentType: string | readonly string[] | undefined, body: Buffer): ContentClass {
  const type = mediaType(contentType);
  if (type === '') {
    if (parsesAsJson(body)) return 'json';
    return looksLikeText(body) ? 'text' : 'bytes';
  }
  if (type === 'application/json' || type.endsWith('+json') || type === 'text/json') return 'json';
  if (type.startsWith('text/') || type.endsWith('+xml') || TEXT_TYPES.has(type)) return 'text';
  return 'bytes';
}
