/**
 * HTML by tagged template, modelled on Hono's `html` helper: every interpolated value is escaped
 * unless it is already HTML (the result of another `html` template, or marked with `raw`), so the
 * safety of a page never depends on remembering an escape call. Example bodies, paths, ids and
 * route names come from upstreams and clients: they are untrusted.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A piece of markup that is safe to splice into a page as it is. */
export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

/**
 * Escapes text for HTML content and attribute values (quoted attributes: both quote kinds are escaped).
 * @example escapeHtml('<b a="1">') // '&lt;b a=&quot;1&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Marks trusted markup (a stylesheet, a script, markup built by this module) as not to be escaped.
 * Never pass it anything that came from a request, an upstream or the store.
 * @example html`<style>${raw(css)}</style>`
 */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** What a template may interpolate: text and numbers are escaped, Html kept, lists joined, nothing dropped silently but null/undefined/false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.toString();
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/**
 * The tagged template: literal parts as written, every value escaped unless it is Html.
 * @example html`<td title="${name}">${count}</td>` // name is escaped, count printed
 * @example html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>` // lists of Html join as they are
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}
