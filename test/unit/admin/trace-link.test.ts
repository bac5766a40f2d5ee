// Trace ids on the admin pages: linked under admin.traceUrl, copyable text without it, and only a
// W3C trace id is ever put into a link.
import { describe, expect, it } from 'vitest';
import { traceHref, traceIdHtml } from '../../../src/admin/trace-link.js';

const ID = '0af7651916cd43dd8448eb211c80319c';
const T = 'https://jaeger.example/trace/{traceId}';

describe('trace links', () => {
  it('fills the template with the id', () => {
    expect(traceHref(T, ID)).toBe(`https://jaeger.example/trace/${ID}`);
    expect(traceHref('https://t.example/?a={traceId}&b={traceId}', ID)).toBe(`https://t.example/?a=${ID}&b=${ID}`);
  });

  it('links nothing without a template, or for an id that is no W3C trace id', () => {
    expect(traceHref(undefined, ID)).toBeUndefined();
    expect(traceHref(T, '"><script>')).toBeUndefined();
    expect(traceHref(T, ID.toUpperCase())).toBeUndefined();
  });

  it('renders a link with the id inside, or the id as text, with a copy button either way', () => {
    const linked = traceIdHtml(ID, T).toString();
    expect(linked).toContain(`<a class="trace" href="https://jaeger.example/trace/${ID}"`);
    expect(linked).toContain(`data-copy="${ID}"`);
    const plain = traceIdHtml(ID, undefined).toString();
    expect(plain).not.toContain('<a ');
    expect(plain).toContain(`<code class="id" data-trace-id="${ID}">${ID}</code>`);
    expect(plain).toContain(`data-copy="${ID}"`);
  });
});
