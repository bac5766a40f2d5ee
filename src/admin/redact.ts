/**
 * Secret redaction for anything the admin API shows: values under secret-looking keys and
 * passwords in URLs never leave the process.
 */

const SECRET_KEY = /token|secret|password|passwd|apikey|api_key|authorization/i;

/**
 * Deep-copies `value` with secrets replaced by "***".
 * @example redact({ admin: { token: 'x' } }) // { admin: { token: '***' } }
 */
export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== '') return '***';
  if (typeof value === 'string') return value.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}
