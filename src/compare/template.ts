/**
 * Endpoint templating: `GET /users/123/orders` → `GET /users/:id/orders`, so reports group by
 * endpoint rather than by URL (Diffy's "everything lands in Undefined_endpoint", diffy#49). A
 * route's own `:param` template wins; otherwise id-like segments are recognised by shape alone —
 * no learning state, so it is pure, cheap and identical on every replica.
 *
 * Segment names: `:id` (decimal numbers, prefixed ids like `cus_9s6XKz…`), `:uuid`, `:date`
 * (ISO 8601 date or date-time), `:hash` (≥ 16 hex chars, or ≥ 20 alphanumerics with ≥ 2 digits),
 * `:token` (base64url ≥ 22 chars holding a digit, `_` or `-`, unless it reads as a lower-case
 * slug or snake_case name). Words such as `v2`, `api`, `users`, slugs such as
 * `top-10-recipes-2024` and names such as `estimated_delivery_date` are kept. A 22+ char token with
 * no digit, `_` or `-` (about 2% of random base64url tokens) is kept too: the price of not
 * templating CamelCase words.
 */

const NUMBER = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const HEX16 = /^[0-9a-f]{16,}$/i;
const ALNUM20 = /^[A-Za-z0-9]{20,}$/;
/** Stripe-style prefixed ids: `cus_9s6XKzkNRiz8i3`, `ord_12345678`. */
const PREFIXED = /^[a-z]{2,8}_(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,}$/;
const BASE64URL22 = /^[A-Za-z0-9_-]{22,}={0,2}$/;
/** Slugs and snake_case: lower-case words joined by `-` or `_`; random tokens almost never are. */
const SLUG = /^[a-z0-9]+(?:[-_][a-z0-9]+)+$/;

function digits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * The parameter name for an id-like path segment (or JSON object key), or undefined for a word.
 * @example paramOf('123') // ':id'
 * @example paramOf('v2') // undefined
 */
export function paramOf(segment: string): string | undefined {
  const n = segment.length;
  if (n === 0) return undefined;
  if (NUMBER.test(segment)) return ':id';
  if (n === 36 && UUID.test(segment)) return ':uuid';
  if (n >= 10 && DATE.test(segment)) return ':date';
  if (n < 10) return undefined; // every remaining shape is long: keep `v2`, `api`, `en-US` cheap
  if (PREFIXED.test(segment)) return ':id';
  if (n >= 16 && HEX16.test(segment)) return ':hash';
  if (n >= 20 && ALNUM20.test(segment) && digits(segment) >= 2) return ':hash';
  if (n >= 22 && BASE64URL22.test(segment) && !SLUG.test(segment)) {
    // Random tokens nearly always hold a digit, `_` or `-`; `GetUserAccountSettings` holds none.
    if (digits(segment) > 0 || segment.includes('_') || segment.includes('-')) return ':token';
  }
  return undefined;
}

/** Templates a concrete path segment by segment. */
function templatePath(path: string): string {
  const segs = path.split('/');
  for (let i = 1; i < segs.length; i++) {
    const p = paramOf(segs[i]!);
    if (p !== undefined) segs[i] = p;
  }
  return segs.join('/');
}

function dropQuery(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  return cut < 0 ? path : path.slice(0, cut);
}

/**
 * The endpoint a request belongs to: `METHOD /templated/path`. A route template with `:params`
 * is used as is (a trailing `/*` keeps the route's part and templates the rest of the path);
 * otherwise id-like segments are replaced by shape (see {@link paramOf}). Query and fragment are
 * always dropped.
 * @example endpointOf('get', '/users/123/orders?page=2') // 'GET /users/:id/orders'
 * @example endpointOf('GET', '/users/7', '/users/:id') // 'GET /users/:id'
 */
export function endpointOf(method: string, path: string, routeTemplate?: string): string {
  const m = method.toUpperCase();
  const concrete = dropQuery(path) || '/';
  if (routeTemplate?.includes(':')) {
    const tpl = dropQuery(routeTemplate);
    if (!tpl.endsWith('/*')) return `${m} ${tpl}`;
    // `/users/:id/*`: the route names the head, shapes name the tail.
    const head = tpl.slice(0, -2);
    const rest = concrete.split('/').slice(head.split('/').length);
    if (rest.length === 0) return `${m} ${head}`;
    return `${m} ${head}/${rest.map((s) => paramOf(s) ?? s).join('/')}`;
  }
  return `${m} ${templatePath(concrete)}`;
}
