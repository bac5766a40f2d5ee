/**
 * What a recorded exchange looks like once it may be stored: the rules of diff examples
 * (compare/redact.ts: `body:$…` paths become "[redacted]", `header:NAME` values too) plus the
 * admin API's secret-looking names (admin/redact.ts SECRET_KEY) applied to header names, query
 * parameters, form fields and JSON keys, so a credential is never written to the store whatever
 * the rules forgot. Bodies are decoded before redaction (gzip'd JSON is still JSON); a body that
 * cannot be read whole (truncated, undecodable) while it might hold a secret is not stored at all.
 */
import { SECRET_KEY } from '../admin/redact.js';
import { contentClass, mediaType } from '../compare/content.js';
import { decodeBody } from '../compare/decode.js';
import { REDACTED, redactJson } from '../compare/redact.js';

/** Redaction rules compiled once per config. */
export interface RedactRules {
  /** Lower-case header names whose values are replaced. */
  readonly headers: ReadonlySet<string>;
  /** `body:$…` rules for redactJson. */
  readonly body: readonly string[];
}

/**
 * Compiles `record.redact`.
 * @example redactRules(['header:authorization', 'body:$.card']) // { headers: Set {'authorization'}, body: ['body:$.card'] }
 */
export function redactRules(rules: readonly string[]): RedactRules {
  return {
    headers: new Set(rules.filter((r) => r.startsWith('header:')).map((r) => r.slice(7).toLowerCase())),
    body: rules.filter((r) => r.startsWith('body:')),
  };
}

type Pairs = [string, string][];

/**
 * Header pairs with secret values replaced (the name stays, so replay knows it was there).
 * @example redactHeaders([['authorization', 'Bearer x']], rules) // [['authorization', '[redacted]']]
 */
export function redactHeaders(pairs: readonly (readonly [string, string])[], rules: RedactRules): Pairs {
  return pairs.map(([k, v]) => {
    const name = k.toLowerCase();
    if (!rules.headers.has(name) && !SECRET_KEY.test(name)) return [name, v];
    // A Set-Cookie keeps its cookie's name: shadow diffs compare cookies by name, and so does replay.
    const eq = v.indexOf('=');
    return [name, name === 'set-cookie' && eq > 0 ? `${v.slice(0, eq).trim()}=${REDACTED}` : REDACTED];
  });
}

/**
 * `name=value&…` with secret-looking names' values replaced (a query string or a form body).
 * @example redactParams('q=1&token=abc') // 'q=1&token=%5Bredacted%5D'
 */
export function redactParams(text: string): string {
  return text
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq === -1) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // An undecodable name is judged as written.
      }
      return SECRET_KEY.test(name) ? `${part.slice(0, eq)}=${encodeURIComponent(REDACTED)}` : part;
    })
    .join('&');
}

/**
 * A request target with secret-looking query values replaced.
 * @example redactTarget('/a?token=t&b=1') // '/a?token=%5Bredacted%5D&b=1'
 */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  // Path (matrix) parameters such as `;jsessionid=…` carry secrets as often as the query does.
  const path = (q === -1 ? target : target.slice(0, q)).replace(/;([^;/=]*)=([^;/]*)/g, (m, name: string) =>
    SECRET_KEY.test(name) ? `;${name}=${encodeURIComponent(REDACTED)}` : m,
  );
  return q === -1 ? path : `${path}?${redactParams(target.slice(q + 1))}`;
}

/**
 * Values under secret-looking keys of a parsed JSON document replaced — whole, whatever their type:
 * `{"password":["x"]}` or `{"apiKey":{"v":"x"}}` hide the secret one level down.
 */
function hideSecretKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(hideSecretKeys);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = SECRET_KEY.test(k) && v !== null ? REDACTED : hideSecretKeys(v);
    return out;
  }
  return node;
}

/** A body as it may be stored: redacted bytes, or undefined when it cannot be made safe. */
export type SafeBody = { readonly body: Buffer } | undefined;

/**
 * Redacts a body: JSON (declared, or sniffed in any text) through the rules and secret keys, a form
 * through secret names; other text or bytes are kept as they are. A multipart body is refused, and so
 * is a body that was cut, cannot be decoded, or (when `rules.body` asks for paths) is not JSON, since
 * what it hides cannot be checked.
 * @example redactBody(Buffer.from('{"password":"x"}'), { 'content-type': 'application/json' }, rules, false, 65536)
 */
export function redactBody(
  raw: Buffer,
  headers: Readonly<Record<string, string | readonly string[]>>,
  rules: RedactRules,
  truncated: boolean,
  maxBody: number,
): SafeBody {
  if (raw.length === 0) return { body: raw };
  const decoded = decodeBody(raw, headers as Record<string, string | string[]>, { maxBody, truncated });
  const type = mediaType(headers['content-type']);
  const structured =
    type === 'application/x-www-form-urlencoded' || (decoded.ok && contentClass(headers['content-type'], decoded.body) === 'json');
  if (!decoded.ok || truncated || decoded.cut)
    return structured || rules.body.length > 0 || !decoded.ok ? undefined : { body: decoded.body };
  // Multipart parts carry their own names (`name="password"`) that are not parsed here: refused.
  if (type === 'multipart/form-data') return undefined;
  if (type === 'application/x-www-form-urlencoded')
    // Configured body paths are JSON paths; they cannot be checked in a form, so it is refused then.
    return rules.body.length > 0 ? undefined : { body: Buffer.from(redactParams(decoded.body.toString('utf8'))) };
  const text = decoded.body.toString('utf8');
  // Many upstreams parse JSON whatever the type says (text/plain from sendBeacon): sniff it.
  const sniffed = !structured && /^\s*[[{]/.test(text);
  if (!structured && !sniffed) return rules.body.length > 0 ? undefined : { body: decoded.body };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Looks like JSON but is not: nothing can be checked in it.
    return sniffed && rules.body.length === 0 ? { body: decoded.body } : undefined;
  }
  return {
    body: Buffer.from(JSON.stringify(hideSecretKeys(redactJson(json, rules.body)))),
  };
}
