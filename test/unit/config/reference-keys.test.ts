// config/fieldlab.yaml says every key is shown: this walks the config's JSON Schema (generated from
// ConfigSchema) and fails when a key appears nowhere in the file, set or commented out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema } from '../../../src/config/json-schema.js';
import { formatConfigError, loadConfigText } from '../../../src/config/load.js';

const FILE = 'config/fieldlab.yaml';
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The file with every commented-out key uncommented: `# key: value` (a lower-case key right after
 * the `#`) becomes `key: value` at the same indentation. Prose comments start with a capital or
 * have no `key:` shape, so they stay comments.
 */
function uncommented(text: string): string {
  return text.replace(/^(\s*)# ((?:\s*)[a-z][A-Za-z0-9]*:(?:\s|$))/gm, '$1$2');
}

/** Schema paths (`routes[].shadow[].compare.ignore`) no value at that place in `values` has. */
function missing(schema: unknown, values: unknown[], path: string): string[] {
  if (!isObj(schema)) return [];
  const out: string[] = [];
  for (const branch of ['anyOf', 'oneOf', 'allOf'] as const)
    for (const s of (schema[branch] as unknown[] | undefined) ?? []) out.push(...missing(s, values, path));
  if (isObj(schema.properties)) {
    const maps = values.filter(isObj);
    for (const [key, sub] of Object.entries(schema.properties)) {
      const at = maps.filter((m) => Object.hasOwn(m, key)).map((m) => m[key]);
      const p = path ? `${path}.${key}` : key;
      if (at.length === 0) out.push(p);
      else out.push(...missing(sub, at, p));
    }
  }
  if (schema.items) out.push(...missing(schema.items, values.filter(Array.isArray).flat(), `${path}[]`));
  if (isObj(schema.additionalProperties))
    out.push(...missing(schema.additionalProperties, values.filter(isObj).flatMap(Object.values), `${path}.*`));
  // A branch the file uses in another form (store as an object, not a string) says nothing missing.
  return [...new Set(out)];
}

describe(`${FILE} shows every key`, () => {
  const text = readFileSync(FILE, 'utf8');
  const full = uncommented(text);

  it('has every key of the config schema, set or commented out', () => {
    const doc = parse(full, { strict: false }) as unknown;
    const schema = configJsonSchema();
    const keys = missing(schema, [doc], '');
    expect(keys, `add these keys to ${FILE} (set, or as "# key: value" when they must stay optional)`).toEqual([]);
  });

  it('validates as it is and with every commented key uncommented', () => {
    for (const [label, t] of [
      ['as shipped', text],
      ['uncommented', full],
    ] as const) {
      // Uncommented, the examples that read a secret from the environment need one.
      const r = loadConfigText(t, `${FILE} (${label})`, { FIELDLAB_FORCE_SECRET: 'a-qa-secret-of-32-characters-ok!' });
      expect(r.ok ? [] : r.errors.map(formatConfigError), label).toEqual([]);
    }
  });

  it('the walk finds what is missing (it would fail on the old file)', () => {
    const schema = configJsonSchema();
    const doc = parse('upstreams: { a: "http://127.0.0.1:1" }\nstore: sqlite:x.db\n') as unknown;
    const keys = missing(schema, [doc], '');
    expect(keys).toEqual(expect.arrayContaining(['store.url', 'store.retention', 'tracing', 'routes', 'admin', 'upstreams.*.timeouts']));
  });
});
