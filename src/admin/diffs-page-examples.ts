/**
 * Example pairs of an endpoint, side by side: what the user got (primary) next to what the shadow
 * answered, differing fields marked, with the request and trace ids an engineer needs to jump to
 * logs and traces. Examples are picked for the fields that matter (real, then unmeasured), one
 * request shown once even when it illustrates several fields.
 */
import type { EndpointReport } from '../compare/report.js';
import type { DiffExample, DiffFilter } from '../storage/types.js';
import { ms } from '../compare/report-format.js';
import { highlightBody } from './diffs-page-json.js';
import { type Html, html, raw } from './html.js';
import { traceIdHtml } from './trace-link.js';

/** Looks up stored examples for an endpoint/field (the store's `examples`, already filtered and limited). */
export type ExampleLookup = (filter: DiffFilter & { field?: string }) => Promise<DiffExample[]>;

/** An example and the report fields it was picked for. */
export interface PickedExample {
  readonly example: DiffExample;
  readonly fields: string[];
}

/**
 * Fetches the examples of the endpoint's non-noise fields (in the report's field order, at most
 * `maxFields`) and picks at most `max`, one request shown once even when it illustrates several fields.
 * Done before rendering: the page never calls the store while it renders.
 * @example await pickExamples(endpoint, (f) => store.examples({ ...f, limit: 3 }), 4)
 */
export async function pickExamples(e: EndpointReport, lookup: ExampleLookup, max = 4, maxFields = 8): Promise<PickedExample[]> {
  const fields = e.fields.filter((x) => x.verdict !== 'noise').slice(0, maxFields);
  const found = await Promise.all(fields.map((f) => lookup({ route: e.route, shadow: e.shadow, endpoint: e.endpoint, field: f.field })));
  const out = new Map<string, PickedExample>();
  fields.forEach((f, i) => {
    for (const ex of found[i]!) {
      const key = `${ex.requestId}\u0000${ex.at}`;
      const seen = out.get(key);
      if (seen) {
        if (!seen.fields.includes(f.field)) seen.fields.push(f.field);
      } else if (out.size < max) {
        out.set(key, { example: ex, fields: [f.field] });
      }
    }
  });
  return [...out.values()];
}

/**
 * The picked examples of every endpoint of a report page, endpoint by endpoint (so a page asks the
 * store a few queries at a time, not hundreds at once).
 * @example const examples = await loadPageExamples(report, lookup); renderDiffsPage(report, examples)
 */
export async function loadPageExamples(
  report: { readonly endpoints: readonly EndpointReport[] },
  lookup: ExampleLookup,
  budget = EXAMPLE_BYTES_PER_PAGE,
): Promise<(PickedExample[] | null)[]> {
  const out: (PickedExample[] | null)[] = [];
  let bytes = 0;
  for (const e of report.endpoints) {
    // Example bodies are the heavy part of a page (up to 2 × 16 KiB each): past the budget, later
    // endpoints show none, so a page stays a few MB however many endpoints it lists.
    if (bytes >= budget) {
      out.push(null);
      continue;
    }
    const picked = await pickExamples(e, lookup);
    for (const p of picked) bytes += p.example.primaryBody.length + p.example.candidateBody.length;
    out.push(picked);
  }
  return out;
}

/** Example body characters one HTML report page carries at most (both sides, all endpoints). */
export const EXAMPLE_BYTES_PER_PAGE = 1024 * 1024;

function idRow(label: string, value: string | undefined, attr: 'trace-id' | 'request-id', missing: string, traceUrl?: string): Html {
  if (!value) return html`<dt>${label}</dt><dd class="muted">${missing}</dd>`;
  if (attr === 'trace-id') return html`<dt>${label}</dt><dd>${traceIdHtml(value, traceUrl)}</dd>`;
  const code = html`<code class="id" data-request-id="${value}">${value}</code>`;
  return html`<dt>${label}</dt><dd>${code} <button type="button" class="copy" data-copy="${value}" title="copy">copy</button></dd>`;
}

function status(p: number, c: number): Html {
  const s = (n: number) => (n === 0 ? 'error' : String(n));
  return p === c ? html`${s(p)} → ${s(c)}` : html`${s(p)} → <b class="changed">${s(c)}</b>`;
}

/**
 * One example card. `verdicts` maps the endpoint's fields to their verdicts, so the differing paths
 * of the pair show which ones are real and which are noise.
 * @example exampleCard(picked, new Map([['body:$.total', 'real']]))
 */
export function exampleCard(
  { example: ex, fields }: PickedExample,
  verdicts: ReadonlyMap<string, string>,
  open = true,
  traceUrl?: string,
): Html {
  const noise = new Set(ex.paths.filter((p) => verdicts.get(p) === 'noise'));
  const chips = ex.paths.map(
    (p) =>
      html`<code class="chip v-${verdicts.get(p) ?? 'unknown'}" data-path="${p}" title="${verdicts.get(p) ?? 'not in this report window'}">${p}</code> `,
  );
  const at = new Date(ex.at).toISOString();
  // Later examples start folded: the first usually tells the story, the rest confirm it.
  return html`<article class="example" data-request-id="${ex.requestId}" data-trace-id="${ex.traceId ?? ''}" data-example-for="${fields.join(' ')}">
<details${open ? raw(' open') : null}><summary><code class="req">${ex.method} ${ex.path}</code>
<span class="meta">status ${status(ex.primaryStatus, ex.candidateStatus)}</span>
<span class="meta">latency ${ms(ex.primaryLatencyMs)} ms → ${ms(ex.candidateLatencyMs)} ms</span>
<span class="meta">trace ${ex.traceId ? html`<code>${ex.traceId.slice(0, 12)}…</code>` : 'none'}</span>
<time class="meta" datetime="${at}">${at}</time></summary>
<dl class="ids">${idRow('trace id', ex.traceId, 'trace-id', 'none (the request carried no traceparent)', traceUrl)}${idRow('request id', ex.requestId, 'request-id', 'none')}</dl>
<div class="paths">picked for <b>${fields.join(', ')}</b> · differing in this pair: ${chips.length > 0 ? chips : html`<span class="muted">nothing in the body</span>`}</div>
<div class="sides"><div class="side"><h4>primary <small>(what the client got)</small></h4><pre class="body" data-side="primary">${raw(highlightBody(ex.primaryBody, ex.candidateBody, ex.paths, noise))}</pre></div>
<div class="side"><h4>shadow <small>(${ex.shadow}, discarded)</small></h4><pre class="body" data-side="shadow">${raw(highlightBody(ex.candidateBody, ex.primaryBody, ex.paths, noise))}</pre></div></div>
</details></article>`;
}

/**
 * The examples block of an endpoint, from its prefetched examples.
 * `traceUrl` is admin.traceUrl: trace ids link there when set.
 * @example examplesBlock(endpoint, await pickExamples(endpoint, lookup))
 */
export function examplesBlock(e: EndpointReport, picked: readonly PickedExample[] | null, traceUrl?: string): Html {
  if (picked === null) {
    const q = new URLSearchParams({ route: e.route, shadow: e.shadow, endpoint: e.endpoint });
    return html`<p class="muted" data-examples="over-budget">Examples left out to keep this page small: <a href="diffs/examples.json?${q.toString()}">examples.json</a>.</p>`;
  }
  if (picked.length === 0) {
    const why = e.fields.some((f) => f.verdict !== 'noise')
      ? 'No stored examples in this window.'
      : 'No examples: nothing here differs beyond noise.';
    return html`<p class="muted">${why}</p>`;
  }
  const verdicts = new Map(e.fields.map((f) => [f.field, f.verdict as string]));
  const legend = html`<p class="legend">Marks: <mark class="hl">differs here</mark> <mark class="hl-soft">same field, differs in another element</mark> <mark class="hl-noise">noise field</mark></p>`;
  return html`${legend}${picked.map(
    (p, i) => html`${exampleCard(p, verdicts, i === 0, traceUrl)}
`,
  )}`;
}
