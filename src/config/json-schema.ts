/**
 * The JSON Schema editors use for autocompletion and inline errors, generated from ConfigSchema so
 * the two can't drift. config/fieldlab.schema.json is this output, checked by a test; regenerate
 * it with `npm run build && node dist/src/cli/main.js schema > config/fieldlab.schema.json`.
 */
import { z } from 'zod';
import { ConfigSchema } from './schema.js';
import { METHODS } from './schema-primitives.js';

type Json = Record<string, unknown>;

/**
 * The config's JSON Schema (draft 2020-12) describing what users may write, before defaults and units.
 * @example writeFileSync('fieldlab.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n')
 */
export function configJsonSchema(): Json {
  // io: 'input' describes the YAML as written ("30s"), not the parsed output (30000).
  const { $schema, ...rest } = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const schema: Json = { $schema, title: 'Fieldlab config', ...rest };
  widenUpstreams(schema);
  widenStore(schema);
  widenMethods(schema);
  return schema;
}

/*
 * For a preprocess, zod emits only the schema after it, so the generated JSON Schema is stricter than
 * the loader. The patches below restore what the preprocesses in schema-primitives.ts and
 * schema-shadow.ts accept; each is a
 * no-op if the shape it expects is absent (the committed-file test then shows the difference).
 */

/** `name: url`, `name: [url, …]` and `endpoints: url` are accepted, not only `{ endpoints: [url] }`. */
function widenUpstreams(schema: Json): void {
  const upstreams = get(schema, 'properties', 'upstreams');
  const object = get(upstreams, 'additionalProperties');
  const endpoints = get(object, 'properties', 'endpoints');
  const url = get(endpoints, 'items');
  if (!upstreams || !object || !endpoints || !url) return;
  const list = { type: 'array', items: url };
  (object.properties as Json).endpoints = { anyOf: [url, list], description: endpoints.description };
  upstreams.additionalProperties = {
    description: 'An endpoint URL, a list of them, or { endpoints, timeouts, connections, host }',
    anyOf: [url, list, object],
  };
}

/** `store: sqlite:PATH` is accepted as well as `store: { url, retention }`. */
function widenStore(schema: Json): void {
  const props = get(schema, 'properties');
  const store = get(props, 'store');
  if (!props || !store) return;
  props.store = { description: store.description, anyOf: [{ type: 'string' }, store] };
}

/** Methods are upper-cased before the enum check, so `get` is as valid as `GET`, wherever a method list appears. */
function widenMethods(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const obj = node as Json;
  if (
    Array.isArray(obj.enum) &&
    obj.enum.length === METHODS.length &&
    METHODS.every((m, i) => obj.enum && (obj.enum as unknown[])[i] === m)
  ) {
    obj.enum = [...METHODS, ...METHODS.map((m) => m.toLowerCase())];
  }
  for (const value of Object.values(obj)) widenMethods(value);
}

function get(value: Json | undefined, ...keys: string[]): Json | undefined {
  let current: unknown = value;
  for (const key of keys) current = current && typeof current === 'object' ? (current as Json)[key] : undefined;
  return current && typeof current === 'object' ? (current as Json) : undefined;
}
