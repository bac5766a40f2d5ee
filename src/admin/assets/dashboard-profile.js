// The experiment panel's dependency profile (GET /experiments.json `profile`, with `traces:`): per
// operation the services behind each arm call, calls per request with their interval, p50 latency
// and error rate, control first. Loaded before dashboard.js, which calls it; text nodes only.
(() => {
  'use strict';
  const num = (x, d = 3) => (x === null || x === undefined ? '–' : String(+Number(x).toPrecision(d)));
  const iv = (lo, hi) => (lo === undefined || lo === null ? '' : ` [${num(lo)}, ${num(hi)}]`);
  /** The profile as a node (undefined without `traces:`), built with the dashboard's `el`. */
  window.FieldlabProfile = (profile, el) => {
    if (!profile) return null;
    const arms = Object.keys(profile.arms || {});
    const head = el('h4', {}, 'Dependency profile ', el('span', { class: 'hint' }, arms.map((a) => `${a}: ${profile.arms[a].requests} traced requests`).join(' · ')));
    if (profile.note || !profile.operations.length) return el('div', { id: 'profile', 'data-state': 'none' }, head, el('p', { class: 'hint' }, 'no spans received for this route’s requests'));
    const cell = (o, arm) => {
      const a = o.arms[arm];
      if (!a) return el('td', {}, '–');
      const c = a.callsPerRequest;
      return el('td', { 'data-arm': arm, 'data-calls': num(c.mean) }, `${num(c.mean)}${iv(c.lower, c.upper)} calls · p50 ${num(a.latencyMs.p50)} ms · errors ${num(a.errorRate.rate * 100)}%`);
    };
    const rows = profile.operations.map((o) => el('tr', { 'data-op': o.op }, el('td', {}, el('b', {}, o.service), ' ', o.operation), ...arms.map((a) => cell(o, a))));
    return el(
      'div',
      { id: 'profile', 'data-state': 'ready' },
      head,
      el('table', { class: 'profile' }, el('thead', {}, el('tr', {}, el('th', {}, 'operation'), ...arms.map((a) => el('th', {}, `${a} (per request, 95% interval)`)))), el('tbody', {}, rows)),
      profile.droppedOps ? el('p', { class: 'hint' }, `${profile.droppedOps} spans of operations past the per-route cap not profiled`) : null,
    );
  };
})();
