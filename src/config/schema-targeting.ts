/**
 * Targeting and layers of an experiment: `experiment.when` (attribute rules a request must match to
 * be in the split: headers, cookies, query parameters, the client IP), `experiment.layer` (a slice
 * of a shared layer's bucket space, so experiments of one layer never share a unit), and the
 * top-level `layers:` they name. Requests outside either get control and are not exposures.
 */
import { z } from 'zod';
import { parseCidr } from '../net/cidr.js';
import type { ConditionSpec } from '../routing/targeting.js';
import { Name, Percent } from './schema-primitives.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const Values = z.array(z.string()).min(1, 'list at least one value');

const ConditionBlock = z
  .strictObject({
    equals: z.string().optional().describe('Present with exactly this value'),
    in: Values.optional().describe('Present with one of these values'),
    notIn: Values.optional().describe('Absent, or present with none of these values'),
    exists: z.boolean().optional().describe('true: present (any value); false: absent'),
    prefix: z.string().min(1).optional().describe('Present with a value starting with this'),
    suffix: z.string().min(1).optional().describe('Present with a value ending with this'),
    contains: z.string().min(1).optional().describe('Present with a value containing this'),
  })
  .refine((c) => Object.values(c).filter((v) => v !== undefined).length === 1, {
    message: 'a condition has exactly one of equals, in, notIn, exists, prefix, suffix, contains',
  });

/** One attribute's condition: "value" (equals), "*" (exists), [a, b] (in), or a block with one operator. */
const Condition = z
  .union([z.string(), Values, ConditionBlock])
  .transform(
    (c): ConditionSpec => (typeof c === 'string' ? (c === '*' ? { exists: true } : { equals: c }) : Array.isArray(c) ? { in: c } : c),
  )
  .describe('"value" (equals), "*" (present), [a, b] (one of), or { equals | in | notIn | exists | prefix | suffix | contains }');

const Cidr = z.string().refine((v) => parseCidr(v) !== undefined, { message: 'invalid CIDR (use e.g. 10.0.0.0/8 or 2001:db8::/32)' });
const Cidrs = z.array(Cidr).min(1, 'list at least one CIDR');

const IpCondition = z
  .union([
    Cidr,
    Cidrs,
    z
      .strictObject({ in: Cidrs.optional(), notIn: Cidrs.optional() })
      .refine((c) => (c.in === undefined) !== (c.notIn === undefined), { message: 'an ip condition has exactly one of in, notIn' }),
  ])
  .transform((c): { in?: string[]; notIn?: string[] } => (typeof c === 'string' ? { in: [c] } : Array.isArray(c) ? { in: c } : c))
  .describe('Client IP (as resolved behind trustedProxies) in these CIDRs: a CIDR, a list, or { in } / { notIn }');

// zod skips a `__proto__` key of a map altogether: the rule would vanish and widen the audience without a word.
const Attributes = (what: string, name: z.ZodString) =>
  z
    .preprocess(
      (v, ctx) => {
        if (typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__'))
          ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'the name "__proto__" is reserved', input: v });
        return v;
      },
      z.record(name, Condition),
    )
    .optional()
    .describe(`${what} name → condition`);

/** `experiment.when`: every rule must hold for a request to be in the experiment. */
export const When = z
  .strictObject({
    header: Attributes('Request header', z.string().regex(TOKEN, 'a header name is a token, e.g. x-plan')),
    cookie: Attributes('Cookie', z.string().min(1)),
    query: Attributes('Query parameter', z.string().min(1)),
    ip: IpCondition.optional(),
  })
  // An empty block (every rule commented out) would be targeting that targets nobody out.
  .refine((w) => Object.values(w).some((v) => v !== undefined && (typeof v !== 'object' || Object.keys(v).length > 0)), {
    message: 'when: lists no rule (remove it, or add header, cookie, query or ip)',
  })
  .describe('Targeting: only requests matching every rule are in the experiment; the rest get control and are not exposures');

/** `experiment.layer`: which layer, and this experiment's slice of its bucket space. */
export const LayerRef = z
  .strictObject({
    name: Name.describe('A layer from the top-level layers: list'),
    range: z
      .tuple([Percent, Percent])
      .optional()
      .describe('[from, to] percent of the layer this experiment owns; ranges of one layer must not overlap'),
    share: Percent.optional().describe('Percent of the layer, packed after the previous routes of the layer in file order'),
  })
  .superRefine((l, ctx) => {
    if ((l.range === undefined) === (l.share === undefined))
      ctx.addIssue({ code: 'custom', message: 'a layer reference has exactly one of range: [from, to] or share: N%' });
    if (l.range && !(l.range[0] < l.range[1]))
      ctx.addIssue({ code: 'custom', path: ['range'], message: `range [${l.range[0]}, ${l.range[1]}] is empty: from must be below to` });
    if (l.share === 0) ctx.addIssue({ code: 'custom', path: ['share'], message: 'share must be above 0%' });
  })
  .describe('Mutual exclusion: units outside this slice of the layer get control and are not exposures');

/** Top-level `layers:`. */
export const Layers = z
  .array(
    z.strictObject({
      name: Name.describe('Layer name, referenced by experiment.layer.name'),
      salt: z.string().min(1).optional().describe('Hash salt of the layer (default: a random one kept in the store); change it to re-deal'),
    }),
  )
  .prefault([])
  .refine((ls) => new Set(ls.map((l) => l.name)).size === ls.length, { message: 'layer names must be unique' })
  .describe('Shared bucket spaces: experiments in one layer get disjoint slices, so no unit is in two of them');

export type RawWhen = z.output<typeof When>;
export type RawLayerRef = z.output<typeof LayerRef>;

type Report = (path: (string | number)[], message: string) => void;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Cross-references of layers (called from the config's reference check with the possibly partly
 * invalid config): a layer reference names a declared layer; one layer uses either ranges or shares;
 * ranges don't overlap and shares fit in 100%; and every route of a layer reads its unit from the
 * same sticky sources, or one user could be two units (and in two experiments).
 * @example checkLayers(cfg, (path, message) => ctx.addIssue({ code: 'custom', path, message }))
 */
export function checkLayers(cfg: Obj, report: Report, suggestFor: (w: string, c: readonly string[]) => string): void {
  const declared = Array.isArray(cfg.layers) ? cfg.layers.flatMap((l) => (isObj(l) && typeof l.name === 'string' ? [l.name] : [])) : [];
  const routes = Array.isArray(cfg.routes) ? cfg.routes : [];
  const members = new Map<string, { i: number; name: string; sticky: string; range?: [number, number]; share?: number }[]>();
  routes.forEach((r, i) => {
    if (!isObj(r) || !isObj(r.experiment) || !isObj(r.experiment.layer)) return;
    const ref = r.experiment.layer;
    if (typeof ref.name !== 'string') return;
    const at = ['routes', i, 'experiment', 'layer'];
    if (!declared.includes(ref.name)) {
      report(
        [...at, 'name'],
        `unknown layer "${ref.name}"${suggestFor(ref.name, declared) || ' (declare it under the top-level layers:)'}`,
      );
      return;
    }
    const range =
      Array.isArray(ref.range) && ref.range.length === 2 && ref.range.every(isNum) ? (ref.range as [number, number]) : undefined;
    const share = isNum(ref.share) ? ref.share : undefined;
    const sticky = JSON.stringify(stickyUnit(Array.isArray(r.sticky) ? r.sticky : []));
    const list = members.get(ref.name) ?? [];
    members.set(ref.name, [
      ...list,
      { i, name: String(r.name), sticky, ...(range ? { range } : {}), ...(share !== undefined ? { share } : {}) },
    ]);
  });
  for (const [layer, list] of members) {
    const first = list[0]!;
    let shares = 0;
    list.forEach((m, k) => {
      const at = ['routes', m.i, 'experiment', 'layer'];
      if (m.sticky !== first.sticky)
        report(
          ['routes', m.i, 'sticky'],
          `routes of layer "${layer}" must read their unit from the same sticky sources (one user must be one unit across the layer): "${m.name}" uses ${m.sticky}, "${first.name}" uses ${first.sticky}`,
        );
      const form = m.range ? 'range' : m.share !== undefined ? 'share' : undefined;
      const lead = list.find((o) => o.range || o.share !== undefined);
      const leadForm = lead?.range ? 'range' : 'share';
      if (lead && form && form !== leadForm)
        report(
          at,
          `layer "${layer}" mixes range and share ("${lead.name}" uses ${leadForm}, "${m.name}" ${form}): use one form for every experiment of a layer`,
        );
      if (m.share !== undefined) {
        shares += m.share;
        if (shares > 100 + 1e-9)
          report(
            [...at, 'share'],
            `layer "${layer}" is over-full: its shares add up to ${+shares.toFixed(4)}% (${list
              .filter((o) => o.share !== undefined)
              .map((o) => `${o.name} ${o.share}%`)
              .join(', ')}); at most 100%`,
          );
      }
      const [from, to] = m.range ?? [0, 0];
      const clash = m.range && list.slice(0, k).find((o) => o.range && o.range[0] < to && from < o.range[1]);
      if (clash?.range)
        report(
          [...at, 'range'],
          `range [${from}, ${to}] overlaps route "${clash.name}"'s [${clash.range[0]}, ${clash.range[1]}] in layer "${layer}": experiments of a layer need disjoint ranges`,
        );
    });
  }
}

/**
 * Sticky sources as the router reads them: header names are case-insensitive, and without a cookie
 * source the issued `fl_uid` cookie is read last (routing/sticky.ts `compileSticky`).
 */
function stickyUnit(sources: readonly unknown[]): string[] {
  const list = sources.map((s) => (typeof s === 'string' && s.startsWith('header:') ? s.toLowerCase() : String(s)));
  return list.some((s) => s.startsWith('cookie:')) ? list : [...list, 'cookie:fl_uid'];
}
