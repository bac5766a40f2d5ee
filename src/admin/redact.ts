/**
 * Secret redaction for anything the admin API shows: every value of a shadow's `headers.set`,
 * values under secret-looking keys (config keys and header names alike: `token`, `*key`,
 * `authorization`, `cookie`, `x-auth-token`, …), the
 * userinfo of URLs (`https://user:pw@h`, `https://TOKEN@h`) and every query value of a URL (webhook
 * URLs carry their credentials there: `?token=…`, `?sig=…`) never leave the process.
 */

/** Keys (config keys or header names) whose values are credentials. */
export const SECRET_KEY = /token|secret|passw(?:or)?d|api[-_]?key|key$|auth|cookie|credential|creds?$|session|signature|^seed$/i;

// scheme://userinfo@ — the userinfo ends at the last '@' before the path.
const USERINFO = /(\b[a-z][a-z\d+.-]*:\/\/)([^/?#\s]+)@/gi;
// ?a=1&b=2 inside a URL: keep the names, hide the values.
const QUERY = /(\b[a-z][a-z\d+.-]*:\/\/[^\s?#]*\?)([^\s#]*)/gi;

/**
 * Hides credentials inside a string that is or contains URLs.
 * @example redactUrl('https://u:pw@h/x?token=t&a=1') // 'https://u:***@h/x?token=***&a=***'
 */
export function redactUrl(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return `${scheme}${colon === -1 ? '***' : `${info.slice(0, colon)}:***`}@`;
    })
    .replace(QUERY, (_m, head: string, query: string) => head + query.replace(/=([^&]*)/g, (_v, value: string) => (value ? '=***' : '=')));
}

function hideValues(o: object): Record<string, string> {
  return Object.fromEntries(Object.keys(o).map((k) => [k, '***']));
}

/**
 * Deep-copies `value` with secrets replaced by "***".
 * @example redact({ admin: { token: 'x' } }) // { admin: { token: '***' } }
 */
export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== '' && value !== null) {
    if (Array.isArray(value)) return value.map(() => '***');
    if (typeof value !== 'object') return '***';
  }
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A shadow's `headers.set` exists to give the dark build its own credentials: every value is
      // hidden there, whatever the header is called (`x-functions-key`, `x-honeycomb-team`, …).
      out[k] = k === 'set' && key === 'headers' && v && typeof v === 'object' ? hideValues(v) : redact(v, k);
    }
    return out;
  }
  return value;
}
