import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../../src/admin/html.js';

describe('html tagged template', () => {
  it('escapes every interpolated value, in content and in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
    );
  });

  it('keeps nested templates and raw markup as they are, without escaping twice', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${raw('<br>')}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b><br></p>');
  });

  it('joins lists, prints numbers (0 too) and drops null, undefined and false', () => {
    expect(html`<ul>${['<a>', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.toString()).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>');
    expect(html`${0}|${null}|${undefined}|${false}|${true}|${1.5}`.toString()).toBe('0||||true|1.5');
  });

  it('escapes the five HTML-special characters and nothing else', () => {
    expect(escapeHtml(`&<>"' é→`)).toBe('&amp;&lt;&gt;&quot;&#39; é→');
  });
});
