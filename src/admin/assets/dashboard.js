// Fieldlab's release-health dashboard (served after uPlot, same origin). Renders the overview or one
// route from the JSON block the server wrote, then keeps it live over /dashboard/events. Every piece
// of data goes into the page as a text node or an attribute value, never as markup: route names,
// reasons and upstream names are config and user text.
(() => {
  'use strict';
  const boot = JSON.parse(document.getElementById('fl-boot').textContent);
  const ROUTE = boot.route;
  const LIVE_SECONDS = 3600;
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
  const $ = (id) => document.getElementById(id);

  /** A DOM element: attributes set as attributes, children as nodes or text. */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined && v !== false) e.setAttribute(k, String(v));
    for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100) / 100}%`);
  const num = (x, d = 3) => (x === null || x === undefined ? '–' : String(+Number(x).toPrecision(d)));
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const routeHref = (name) => `/?route=${encodeURIComponent(name)}`;

  // ---- live indicator ------------------------------------------------------------------------
  const liveEl = $('live');
  function setLive(state, text) {
    liveEl.dataset.state = state;
    liveEl.textContent = text;
  }

  // ---- the overview model --------------------------------------------------------------------
  let model = boot.model;
  let experiments = new Map(); // route → experiment (from /experiments.json when it answers)

  function alarmList(alarms) {
    return alarms.map((a) => el('span', { class: 'alarm', 'data-kind': a.kind, title: a.says }, a.kind, ': ', a.says));
  }
  function experimentAlarms(route) {
    const x = experiments.get(route);
    if (!x) return [];
    return (x.alarms || []).map((kind) => ({ kind, says: kind === 'srm' ? 'sample-ratio mismatch' : kind.replace('-', ' ') }));
  }
  function phaseText(v) {
    return `${v.arm}: ${v.phase}${v.step ? ` · step ${v.step}` : ''}${v.verdict ? ` · ${v.verdict}` : ''}`;
  }
  // The holdback: share kept on control, and whether it is planned, held (until when) or released.
  function holdbackEl(v) {
    const h = v.holdbackState;
    if (!h) return null;
    return el('div', { class: 'holdback', 'data-holdback': h.state, 'data-percent': h.percent, 'data-released-at': h.releasedAt ?? '' }, v.holdback);
  }
  function decisionText(d) {
    return `${time(d.at)} ${d.arm} ${d.action} ${pct(d.fromPercent)}→${pct(d.toPercent)}`;
  }

  function renderOverview() {
    const tbody = document.querySelector('#routes tbody');
    tbody.replaceChildren(
      ...model.routes.map((r) =>
        el(
          'tr',
          { 'data-route': r.name },
          el('td', {}, el('a', { href: routeHref(r.name) }, r.name)),
          el('td', {}, r.arms.map((a, i) => el('span', { class: 'arm', 'data-arm': a.name }, el('i', { class: `c${i % COLORS.length}` }), `${a.name} ${pct(a.percent)}`))),
          el('td', {}, r.guarded ? r.variants.flatMap((v) => [el('div', { 'data-phase': v.phase }, phaseText(v)), holdbackEl(v)]) : el('span', { class: 'hint' }, 'no guardrails')),
          el('td', {}, r.lastDecision ? el('span', { title: r.lastDecision.reason }, decisionText(r.lastDecision)) : '–'),
          el('td', { class: 'alarms' }, alarmList([...r.alarms, ...experimentAlarms(r.name)])),
        ),
      ),
    );
    $('global-alarms').replaceChildren(...alarmList(model.alarms));
  }

  function currentRoute() {
    return model.routes.find((r) => r.name === ROUTE);
  }

  function renderRouteState() {
    const r = currentRoute();
    if (!r) return;
    $('route-alarms').replaceChildren(...alarmList([...r.alarms, ...experimentAlarms(r.name), ...model.alarms]));
    renderExemplars(r);
    $('arms').replaceChildren(
      el(
        'table',
        { class: 'arms' },
        el('thead', {}, el('tr', {}, el('th', {}, 'arm'), el('th', {}, 'weight'), el('th', {}, 'upstream'), el('th', {}, 'endpoints'))),
        el(
          'tbody',
          {},
          r.arms.map((a, i) =>
            el(
              'tr',
              { 'data-arm': a.name },
              el('td', {}, el('i', { class: `c${i % COLORS.length}` }), a.name),
              el('td', { 'data-percent': a.percent }, pct(a.percent)),
              el('td', {}, a.upstream),
              el('td', {}, a.ejected > 0 ? `${a.endpoints - a.ejected} of ${a.endpoints} (${a.ejected} ejected)` : String(a.endpoints)),
            ),
          ),
        ),
      ),
    );
    $('variants').replaceChildren(
      ...(r.guarded ? [el('h3', {}, 'Guardrails')] : [el('p', { class: 'hint' }, 'This route has no guardrails or rollout.')]),
      ...r.variants.map((v) =>
        el(
          'article',
          { class: 'variant', 'data-arm': v.arm, 'data-phase': v.phase },
          el('h4', {}, phaseText(v), v.breach ? el('span', { class: 'alarm', 'data-kind': 'guardrail-breach' }, v.breach) : null),
          holdbackEl(v),
          v.waiting.length
            ? el('ul', { class: 'waiting' }, v.waiting.map((w) => el('li', { 'data-what': w.what, 'data-done': w.done ? '1' : '0' }, w.done ? '✓ ' : '… ', w.says)))
            : el('p', { class: 'hint' }, 'waiting for nothing'),
          el(
            'table',
            { class: 'evidence' },
            el('thead', {}, el('tr', {}, el('th', {}, 'evidence'), el('th', {}, 'now'), el('th', {}, 'threshold'))),
            el(
              'tbody',
              {},
              v.evidence.map((e) =>
                el('tr', { 'data-over': e.over ? '1' : '0' }, el('td', {}, e.name), el('td', {}, num(e.value)), el('td', {}, num(e.threshold))),
              ),
            ),
          ),
        ),
      ),
    );
    // Actions act on guardrails: a route without them has nothing to roll back or promote.
    $('actions').hidden = !r.guarded;
    const sel = $('confirm-arm');
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '' }, 'every variant'), ...r.arms.slice(1).map((a) => el('option', { value: a.name }, a.name)));
    sel.value = keep;
  }

  // ---- trace exemplars: per arm the last bad exchanges and the minute's slowest, with trace ids --
  // The server fills `href` from admin.traceUrl (only a W3C id is substituted); without it the id is
  // text with a copy button.
  function traceCell(e) {
    if (!e.traceId) return el('span', { class: 'hint' }, 'no trace id');
    const code = el('code', { class: 'id', 'data-trace-id': e.traceId }, e.traceId);
    return [
      e.href ? el('a', { class: 'trace', href: e.href, target: '_blank', rel: 'noopener noreferrer' }, code) : code,
      ' ',
      el('button', { type: 'button', class: 'copy', 'data-copy': e.traceId, title: 'copy' }, 'copy'),
    ];
  }
  function exemplarRows(kind, list) {
    return list.map((e) =>
      el(
        'tr',
        { class: 'exemplar', 'data-kind': kind, 'data-status': e.status, 'data-trace-id': e.traceId || '' },
        el('td', {}, time(e.at)),
        el('td', {}, kind === 'error' ? 'error' : 'slow'),
        el('td', {}, String(e.status), e.code ? ` ${e.code}` : ''),
        el('td', {}, `${num(e.ms)} ms`),
        el('td', {}, `${e.method} ${e.path}`),
        el('td', {}, traceCell(e)),
      ),
    );
  }
  function renderExemplars(r) {
    const arms = r.exemplars || [];
    $('exemplars').replaceChildren(
      el('h3', {}, 'Trace exemplars'),
      ...(arms.length === 0
        ? [el('p', { class: 'hint' }, 'no errors or slow exchanges yet')]
        : arms.map((a) =>
            el(
              'article',
              { class: 'exemplars', 'data-arm': a.arm },
              el('h4', {}, a.arm),
              a.errors.length + a.slowest.length === 0
                ? el('p', { class: 'hint' }, 'no errors, nothing slow this minute')
                : el(
                    'table',
                    {},
                    el('thead', {}, el('tr', {}, ['time', 'why', 'status', 'latency', 'request', 'trace'].map((h) => el('th', {}, h)))),
                    el('tbody', {}, exemplarRows('error', a.errors), exemplarRows('slow', a.slowest)),
                  ),
            ),
          )),
    );
  }
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest && ev.target.closest('button.copy');
    if (!b || !navigator.clipboard) return;
    navigator.clipboard.writeText(b.dataset.copy).then(() => {
      b.textContent = 'copied';
      setTimeout(() => (b.textContent = 'copy'), 1200);
    }, () => undefined);
  });

  function render() {
    if (ROUTE === null) renderOverview();
    else renderRouteState();
  }

  // ---- experiment results (GET /experiments.json, when that endpoint exists) -----------------
  function interval(iv) {
    return iv ? `[${num(iv[0])}, ${num(iv[1])}]` : '–';
  }
  function renderExperiment(x) {
    const box = $('experiment');
    if (!box) return;
    if (!x) {
      box.dataset.state = 'none';
      box.replaceChildren(el('h3', {}, 'Experiment'), el('p', { class: 'hint' }, 'no experiment'));
      return;
    }
    box.dataset.state = x.alarms && x.alarms.length ? 'alarm' : x.early ? 'early' : 'ready';
    const d = x.diagnostics || {};
    const diag = [
      d.srm && el('li', { 'data-diag': 'srm', 'data-alarm': d.srm.alarm ? '1' : '0' }, `sample ratio: p = ${num(d.srm.pValue)} (alarm below ${d.srm.threshold})${d.srm.alarm ? ' — MISMATCH' : ''}`),
      d.leaks && el('li', { 'data-diag': 'leaks', 'data-alarm': d.leaks.alarm ? '1' : '0' }, `units in more than one arm: ${d.leaks.units} (${pct(d.leaks.share * 100)})`),
      d.goalTraffic &&
        el('li', { 'data-diag': 'goal-traffic', 'data-alarm': d.goalTraffic.alarm ? '1' : '0' }, `goal requests without key or exposure: ${pct(d.goalTraffic.share * 100)}`),
      d.nullBranch && el('li', { 'data-diag': 'null-branch', 'data-alarm': d.nullBranch.alarm ? '1' : '0' }, d.nullBranch.alarm ? 'variant behaves like control (null branch)' : 'variant differs from control'),
    ];
    const goals = (x.goals || []).flatMap((g) =>
      (g.lifts || []).map((l) =>
        el(
          'tr',
          { 'data-goal': g.name, 'data-arm': l.arm, 'data-significant': l.sequential && l.sequential.significant ? '1' : '0' },
          el('td', {}, `${g.name} (${g.kind})`),
          el('td', {}, `${l.arm} vs ${l.vs}`),
          el('td', {}, num(l.absolute), ' ', interval(l.sequential && l.sequential.absolute)),
          el('td', {}, l.relative === null ? '–' : pct(l.relative * 100), ' ', interval(l.sequential && l.sequential.relative)),
          el('td', {}, l.fixed && l.fixed.available ? interval(l.fixed.absolute) : 'after the planned duration'),
        ),
      ),
    );
    box.replaceChildren(
      el('h3', {}, 'Experiment ', x.early ? el('span', { class: 'badge early', title: (x.earlyReasons || []).join('; ') }, 'early') : null),
      x.early && x.earlyReasons && x.earlyReasons.length ? el('p', { class: 'hint' }, `Early: ${x.earlyReasons.join('; ')}. Decision metrics are not final yet.`) : null,
      el('p', {}, (x.arms || []).map((a) => `${a.arm}: ${a.units} units`).join(' · ')),
      el(
        'table',
        { class: 'goals' },
        el('thead', {}, el('tr', {}, el('th', {}, 'goal'), el('th', {}, 'arm'), el('th', {}, 'lift (anytime-valid interval)'), el('th', {}, 'relative'), el('th', {}, 'fixed horizon'))),
        el('tbody', {}, goals.length ? goals : el('tr', {}, el('td', { colspan: 5, class: 'hint' }, 'no goals'))),
      ),
      el(
        'table',
        { class: 'vitals' },
        el('thead', {}, el('tr', {}, el('th', {}, 'arm'), el('th', {}, 'requests/unit'), el('th', {}, 'error rate'), el('th', {}, 'mean latency ms'))),
        el('tbody', {}, (x.vitals || []).map((v) => el('tr', { 'data-arm': v.arm }, el('td', {}, v.arm), el('td', {}, num(v.requestsPerUnit)), el('td', {}, pct(v.errorRate * 100)), el('td', {}, num(v.meanLatencyMs))))),
      ),
      el('ul', { class: 'diagnostics' }, diag),
      window.FieldlabProfile ? window.FieldlabProfile(x.profile, el) : null, // dashboard-profile.js
    );
  }
  let experimentsRetry = null;
  async function loadExperiments() {
    let failed = false;
    try {
      const res = await fetch(`/experiments.json${ROUTE === null ? '' : `?route=${encodeURIComponent(ROUTE)}`}`, { credentials: 'same-origin' });
      // Only an answer that may change within seconds: a 4xx (no experiment, no such route, signed
      // out) stays as it is until the config or the session changes, and waits for the refresh.
      failed = res.status >= 500;
      const body = res.ok ? await res.json() : null;
      experiments = new Map(((body && body.experiments) || []).map((x) => [x.route, x]));
    } catch {
      failed = true;
      experiments = new Map();
    }
    // A failed load (admin restarting, a slow store) is tried again in 2 s, not at the next 15 s refresh:
    // an SRM alarm or a verdict should not stay hidden for a refresh period because of one bad answer.
    if (failed && experimentsRetry === null) experimentsRetry = setTimeout(() => ((experimentsRetry = null), void loadExperiments()), 2000);
    if (ROUTE !== null) renderExperiment(experiments.get(ROUTE));
    render();
  }

  // ---- series and charts ---------------------------------------------------------------------
  const store = { xs: [], arms: new Map() }; // per-second, aligned columns
  let nextSec = 0;
  let rangeSec = 900;
  let history = null; // per-minute data when the range is beyond the live hour
  let marks = [];
  const charts = new Map(); // metric → uPlot
  let chartArms = [];

  function column(arm) {
    let c = store.arms.get(arm);
    if (!c) {
      const n = store.xs.length;
      c = { req: new Array(n).fill(0), err: new Array(n).fill(0), p50: new Array(n).fill(null), p99: new Array(n).fill(null) };
      store.arms.set(arm, c);
    }
    return c;
  }
  function addSlice(s) {
    if (s.to <= nextSec) return;
    const from = Math.max(s.from, nextSec);
    for (const arm of Object.keys(s.arms)) column(arm);
    for (let t = from; t < s.to; t++) {
      const i = t - s.from;
      store.xs.push(t);
      for (const [arm, c] of store.arms) {
        const a = s.arms[arm];
        c.req.push(a ? a.requests[i] : 0);
        c.err.push(a ? a.errors[i] : 0);
        c.p50.push(a ? a.p50Ms[i] : null);
        c.p99.push(a ? a.p99Ms[i] : null);
      }
    }
    nextSec = s.to;
    const extra = store.xs.length - LIVE_SECONDS;
    if (extra > 0) {
      store.xs.splice(0, extra);
      for (const c of store.arms.values()) for (const k of ['req', 'err', 'p50', 'p99']) c[k].splice(0, extra);
    }
    setLive('live', `live · data ${((Date.now() - s.to * 1000) / 1000).toFixed(1)} s old`);
    liveEl.dataset.ageMs = String(Date.now() - s.to * 1000);
    if (history === null) draw();
  }

  const rate = (err, req) => err.map((e, i) => (req[i] > 0 ? e / req[i] : null));
  function metricData(metric, cols) {
    if (metric === 'rps') return cols.req;
    if (metric === 'err') return rate(cols.err, cols.req);
    return cols[metric];
  }
  /** [xs, ...one array per arm] for `metric`, over the selected range. */
  function dataFor(metric) {
    if (history !== null) return [history.xs, ...chartArms.map((a) => metricData(metric, history.arms.get(a)))];
    const n = Math.min(rangeSec, store.xs.length);
    const cut = (arr) => arr.slice(arr.length - n);
    return [cut(store.xs), ...chartArms.map((a) => cut(metricData(metric, store.arms.get(a))))];
  }

  const MARK_COLORS = { rollback: '#dc2626', 'manual-rollback': '#dc2626', promote: '#16a34a', 'manual-promote': '#16a34a', pause: '#ea580c', alert: '#ea580c' };
  /** uPlot draw hook: decisions as vertical lines, counted into the figure's data-markers. */
  function drawMarks(u) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    let n = 0;
    ctx.save();
    for (const m of marks) {
      const x = u.valToPos(m.at / 1000, 'x', true);
      if (!(x >= left && x <= left + width)) continue;
      n++;
      ctx.strokeStyle = MARK_COLORS[m.action] || '#2563eb';
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
    u.root.parentElement.dataset.markers = String(n);
  }

  function newestMark(max) {
    const at = marks.length ? marks[0].at / 1000 : 0;
    return at > max && at < max + 10 ? Math.ceil(at) : max;
  }
  function chartWidth(fig) {
    return Math.max(260, fig.clientWidth - 8);
  }
  function buildCharts() {
    for (const u of charts.values()) u.destroy();
    charts.clear();
    chartArms = history !== null ? [...history.arms.keys()] : [...store.arms.keys()];
    for (const fig of document.querySelectorAll('#charts .chart')) {
      const metric = fig.dataset.metric;
      const opts = {
        width: chartWidth(fig),
        height: 170,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        // The x axis reaches a decision made after the newest closed second, so its marker shows at once.
        scales: { x: { time: true, range: (_u, min, max) => [min, Math.max(max, newestMark(max))] }, y: { range: (_u, min, max) => [0, max > 0 ? max * 1.1 : metric === 'err' ? 0.01 : 1] } },
        axes: [{}, { size: 56, values: (_u, ticks) => ticks.map((v) => (metric === 'err' ? `${+(v * 100).toPrecision(3)}%` : String(+v.toPrecision(4)))) }],
        series: [{}, ...chartArms.map((a, i) => ({ label: a, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false } }))],
        hooks: { draw: [drawMarks] },
      };
      fig.querySelectorAll('.uplot').forEach((n) => n.remove());
      charts.set(metric, new uPlot(opts, dataFor(metric), fig));
    }
  }
  function draw() {
    const arms = history !== null ? [...history.arms.keys()] : [...store.arms.keys()];
    if (charts.size === 0 || arms.join('\n') !== chartArms.join('\n')) buildCharts();
    const t0 = performance.now();
    let points = 0;
    for (const [metric, u] of charts) {
      const data = dataFor(metric);
      points = data[0].length * (data.length - 1);
      u.batch(() => u.setData(data));
    }
    $('charts').dataset.drawMs = (performance.now() - t0).toFixed(1);
    $('charts').dataset.points = String(points);
    $('charts').dataset.source = history !== null ? 'rollups' : 'live';
  }
  window.addEventListener('resize', () => {
    for (const [metric, u] of charts) u.setSize({ width: chartWidth(document.querySelector(`#charts .chart[data-metric="${metric}"]`)), height: 170 });
  });

  async function loadHistory() {
    const res = await fetch(`/rollups.json?route=${encodeURIComponent(ROUTE)}&since=${rangeSec}s`, { credentials: 'same-origin' }).catch(() => null);
    if (!res || !res.ok || history === null) return;
    const body = await res.json();
    const minutes = [...new Set(body.minutes.map((m) => Date.parse(m.minute) / 1000))].sort((a, b) => a - b);
    const at = new Map(minutes.map((m, i) => [m, i]));
    const arms = new Map();
    for (const m of body.minutes) {
      let c = arms.get(m.arm);
      if (!c) arms.set(m.arm, (c = { req: minutes.map(() => 0), err: minutes.map(() => 0), p50: minutes.map(() => null), p99: minutes.map(() => null) }));
      const i = at.get(Date.parse(m.minute) / 1000);
      c.req[i] = m.requests / 60;
      c.err[i] = m.bad / 60;
      c.p50[i] = m.p50Ms;
      c.p99[i] = m.p99Ms;
    }
    history = { xs: minutes, arms };
    draw();
  }

  // ---- decisions -----------------------------------------------------------------------------
  const markKey = (m) => `${m.at}|${m.route}|${m.arm}|${m.action}`;
  const seenMarks = new Set();
  function addMarks(list) {
    let added = false;
    for (const m of list) {
      if (seenMarks.has(markKey(m))) continue;
      seenMarks.add(markKey(m));
      marks.push(m);
      added = true;
    }
    if (!added) return;
    marks.sort((a, b) => b.at - a.at);
    marks = marks.slice(0, 200);
    $('decisions').replaceChildren(
      ...marks.map((m) =>
        el(
          'li',
          { 'data-action': m.action, 'data-arm': m.arm, 'data-at': m.at },
          el('time', { datetime: new Date(m.at).toISOString() }, time(m.at)),
          ` ${m.arm} `,
          el('b', {}, m.action),
          ` ${pct(m.fromPercent)} → ${pct(m.toPercent)} — ${m.reason}`,
          m.actor ? el('span', { class: 'hint' }, ` (${m.actor})`) : null,
        ),
      ),
    );
    // setData, not redraw: a marker after the newest second widens the x range.
    if (charts.size > 0) draw();
  }

  // ---- the event stream (closed while the tab is hidden) -------------------------------------
  let es = null;
  function connect() {
    if (es) return;
    const q = new URLSearchParams();
    if (ROUTE !== null) q.set('route', ROUTE);
    if (nextSec > 0) q.set('since', String(nextSec));
    es = new EventSource(`/dashboard/events?${q}`);
    es.addEventListener('model', (e) => {
      model = JSON.parse(e.data);
      render();
    });
    if (ROUTE !== null) {
      es.addEventListener('series', (e) => addSlice(JSON.parse(e.data)));
      es.addEventListener('decisions', (e) => addMarks(JSON.parse(e.data)));
    }
    es.addEventListener('hello', () => setLive('live', 'live'));
    es.onerror = () => setLive('reconnecting', 'reconnecting…');
  }
  function disconnect() {
    if (!es) return;
    es.close();
    es = null;
    setLive('paused', 'paused (tab hidden)');
  }
  document.addEventListener('visibilitychange', () => (document.hidden ? disconnect() : connect()));

  // ---- manual actions ------------------------------------------------------------------------
  const TOKEN_KEY = 'fieldlab.writeToken';
  let pending = null;
  function openConfirm(action) {
    pending = action;
    const r = currentRoute();
    $('confirm-title').textContent = `${action} ${ROUTE}?`;
    $('confirm-ok').textContent = action;
    $('confirm-ok').dataset.action = action;
    $('confirm-reason').value = '';
    $('confirm-force').checked = false;
    $('confirm-force').closest('label').hidden = !(action === 'promote' || action === 'resume');
    const token = $('confirm-token');
    if (token) token.value = sessionStorage.getItem(TOKEN_KEY) || '';
    if (r && r.arms.length === 2) $('confirm-arm').value = r.arms[1].name;
    $('confirm').showModal();
  }
  async function act(action) {
    const q = new URLSearchParams();
    const arm = $('confirm-arm').value;
    const reason = $('confirm-reason').value.trim();
    if (arm) q.set('arm', arm);
    if (reason) q.set('reason', reason);
    if ($('confirm-force').checked) q.set('force', '1');
    const headers = { 'x-fieldlab-actor': 'dashboard' };
    const tokenInput = $('confirm-token');
    if (tokenInput && tokenInput.value) {
      sessionStorage.setItem(TOKEN_KEY, tokenInput.value);
      headers.authorization = `Bearer ${tokenInput.value}`;
    }
    const out = $('action-result');
    out.dataset.status = 'pending';
    out.textContent = `${action}…`;
    try {
      const res = await fetch(`/routes/${encodeURIComponent(ROUTE)}/${action}?${q}`, { method: 'POST', headers, credentials: 'same-origin' });
      const body = await res.json().catch(() => ({}));
      out.dataset.status = String(res.status);
      if (res.ok) {
        out.textContent = `${action}: ${(body.decisions || []).map((d) => `${d.arm} ${d.action} → ${pct(d.toPercent)}`).join('; ') || 'done'}`;
        if (body.decisions) addMarks(body.decisions.map((d) => ({ ...d, at: Date.parse(d.at) || d.at })));
      } else {
        if (res.status === 401 || res.status === 403) sessionStorage.removeItem(TOKEN_KEY);
        out.textContent = `${action} refused (${res.status}): ${(body.error && body.error.message) || res.statusText}`;
      }
    } catch (err) {
      out.dataset.status = 'error';
      out.textContent = `${action} failed: ${err.message}`;
    }
  }

  // ---- start ---------------------------------------------------------------------------------
  render();
  void loadExperiments();
  setInterval(() => void loadExperiments(), 15_000);
  if (ROUTE !== null) {
    for (const b of document.querySelectorAll('#actions button[data-action]')) b.addEventListener('click', () => openConfirm(b.dataset.action));
    $('confirm').addEventListener('close', () => {
      if ($('confirm').returnValue === 'ok' && pending) void act(pending);
      pending = null;
    });
    for (const r of document.querySelectorAll('#range input')) {
      r.addEventListener('change', () => {
        rangeSec = Number(r.value);
        history = rangeSec > LIVE_SECONDS ? { xs: [], arms: new Map() } : null;
        if (history !== null) void loadHistory();
        else draw();
      });
    }
    setInterval(() => history !== null && void loadHistory(), 60_000);
    window.fieldlabDashboard = {
      /** The live seconds held: first, last and how many (contiguous when last − first + 1 = count). */
      seconds: () => ({ first: store.xs[0] ?? null, last: store.xs.at(-1) ?? null, count: store.xs.length }),
      /** Draws `seconds` of synthetic per-second data for `arms` arms on every chart; resolves to ms. */
      bench(seconds = LIVE_SECONDS, arms = 2) {
        const now = Math.floor(Date.now() / 1000);
        const xs = Array.from({ length: seconds }, (_, i) => now - seconds + i);
        const series = Array.from({ length: arms }, (_, a) => xs.map((_, i) => 50 + 20 * Math.sin(i / 60 + a) + Math.random() * 5));
        const t0 = performance.now();
        // batch(): uPlot's immediate mode, so the draw has happened when it returns.
        for (const u of charts.values()) u.batch(() => u.setData([xs, ...series.slice(0, u.series.length - 1)]));
        const ms = performance.now() - t0;
        draw();
        return ms;
      },
    };
  }
  if (!document.hidden) connect();
  else setLive('paused', 'paused (tab hidden)');
})();
