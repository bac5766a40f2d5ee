#!/usr/bin/env node
// Lists Fieldlab's upward dependencies: imports from a later stage of a request's life to an earlier
// one (README "Development" keeps the list and the reasons). `errors.ts`, `net/`, `stats/` and
// `async/` are shared foundations, not stages; `app.ts` (with `app/`) and `main.ts` compose everything.
// Usage: node .ci/upward-deps.mjs [src]   (prints `from → to: n (types only | k values)` and files)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ORDER = ['config', 'ingress', 'routing', 'forward', 'mirror', 'compare', 'telemetry', 'guardrails', 'storage', 'fleet', 'admin', 'cli', 'demo'];
const root = process.argv[2] ?? 'src';
const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
const pairs = new Map();
for (const file of files(root)) {
  const rel = relative(root, file);
  const from = rel.split('/')[0];
  if (!ORDER.includes(from) || !rel.includes('/')) continue;
  for (const m of readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+'(\.[^']+)'/gm)) {
    const target = normalize(join(dirname(rel), m[3]));
    const to = target.split('/')[0];
    if (!ORDER.includes(to) || !target.includes('/') || ORDER.indexOf(to) >= ORDER.indexOf(from)) continue;
    const names = m[2].trim();
    const typeOnly = Boolean(m[1]) || (names.startsWith('{') && names.slice(1, -1).split(',').every((n) => !n.trim() || n.trim().startsWith('type ')));
    const key = `${from} → ${to}`;
    const list = pairs.get(key) ?? [];
    list.push(`${rel} → ${target.replace(/\.js$/, '.ts')}${typeOnly ? '' : ' (value)'}`);
    pairs.set(key, list);
  }
}
const rank = (k) => k.split(' → ').map((s) => ORDER.indexOf(s));
for (const [key, list] of [...pairs].sort(([a], [b]) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1])) {
  const values = list.filter((l) => l.endsWith('(value)')).length;
  console.log(`${key}: ${list.length} (${values ? `${values} value${values > 1 ? 's' : ''}` : 'types only'})`);
  for (const l of list.sort()) console.log(`  ${l}`);
}
