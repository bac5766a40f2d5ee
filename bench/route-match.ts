/**
 * Route matching alone, in-process: ns per lookup with 1, 100 and 1,000 routes (the matched one listed
 * last), through the trie index and through the linear walk it replaced. No sockets, so the numbers
 * hold up on a busy machine far better than req/s; they say what the route count costs a request.
 *
 *   npm run build && node dist/bench/route-match.js
 */
import { compileMatch, findRoute, findRouteLinear, type MatchInput } from '../src/routing/route-table.js';

const LOOKUPS = 300_000;

function routesOf(n: number): { name: string; matcher: ReturnType<typeof compileMatch> }[] {
  const filler = Array.from({ length: n - 1 }, (_, i) => ({ name: `filler-${i}`, matcher: compileMatch({ path: `/svc-${i}/*` }) }));
  return [...filler, { name: 'bench', matcher: compileMatch({ path: '/api/*' }) }];
}

function nsPerLookup(find: (req: MatchInput) => unknown): number {
  const req: MatchInput = { method: 'GET', host: 'shop.example.com', path: '/api/items/1', headers: {} };
  for (let i = 0; i < 20_000; i++) find(req); // warm up (JIT)
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) if (!find(req)) throw new Error('no route matched');
  return Number(process.hrtime.bigint() - t0) / LOOKUPS;
}

const rows = [1, 100, 1000].map((n) => {
  const routes = routesOf(n);
  return { n, trie: nsPerLookup((r) => findRoute(routes, r)), linear: nsPerLookup((r) => findRouteLinear(routes, r)) };
});
const base = rows[0]!;
process.stdout.write(
  [
    '| routes | trie ns/lookup | linear ns/lookup | trie vs 1 route |',
    '|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.n} | ${r.trie.toFixed(0)} | ${r.linear.toFixed(0)} | ${(r.trie / base.trie).toFixed(2)}× |`),
    '',
  ].join('\n'),
);
