/**
 * A trace id as the admin pages show it: a link into the operator's tracing UI when `admin.traceUrl`
 * is set, otherwise the id as text with a copy button. Only W3C trace ids (32 lowercase hex digits)
 * are substituted, so nothing a client sent in a traceparent can shape the link beyond the id.
 */
import { TRACE_ID_PLACEHOLDER } from '../config/schema-trace-link.js';
import { type Html, html } from './html.js';

const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * The trace's URL under `template`, or undefined without a template or for an id that is no W3C trace id.
 * @example traceHref('https://jaeger.example/trace/{traceId}', '0af7651916cd43dd8448eb211c80319c') // 'https://jaeger.example/trace/0af7…'
 */
export function traceHref(template: string | undefined, traceId: string): string | undefined {
  if (!template || !TRACE_ID.test(traceId)) return undefined;
  return template.replaceAll(TRACE_ID_PLACEHOLDER, traceId);
}

/**
 * The id itself (`code[data-trace-id]`, linked when a template is set) and a copy button.
 * @example traceIdHtml('0af7651916cd43dd8448eb211c80319c', undefined)
 */
export function traceIdHtml(traceId: string, template: string | undefined): Html {
  const href = traceHref(template, traceId);
  const code = html`<code class="id" data-trace-id="${traceId}">${traceId}</code>`;
  return html`${href ? html`<a class="trace" href="${href}" target="_blank" rel="noopener noreferrer">${code}</a>` : code} <button type="button" class="copy" data-copy="${traceId}" title="copy">copy</button>`;
}
