/**
 * Turns zod issues into messages a person fixing a YAML file can act on: one error per unknown key
 * with a did-you-mean, "missing required key" instead of "expected object, received undefined", and
 * YAML words (list, map) instead of JavaScript ones.
 */
import type { z } from 'zod';
import { suggest } from './suggest.js';
import type { PathSegment } from './yaml-locate.js';

/** A human message, the config path it is about, and whether it points at that path's key or value. */
export interface DescribedIssue {
  readonly path: readonly PathSegment[];
  readonly at: 'key' | 'value';
  readonly message: string;
}

type Issue = z.core.$ZodIssue;

/**
 * Describes zod issues. `schema` is walked to find the allowed keys of an object for did-you-mean;
 * issues must come from `safeParse(…, { reportInput: true })` so received values can be named.
 * @example describeIssues(ConfigSchema, r.error.issues) // [{ path: ['spilt'], at: 'key', message: 'unknown key "spilt", did you mean "split"?' }]
 */
export function describeIssues(schema: z.core.$ZodType, issues: readonly Issue[]): DescribedIssue[] {
  const described = issues.flatMap((issue) => describe(schema, issue, []));
  // `listn:` is reported as unknown (did you mean "listen"?) and listen as missing: one mistake,
  // so the missing key the suggestion names goes.
  const suggested = new Set(
    described.flatMap((d) => {
      const m = /^unknown key ".*", did you mean "(.+)"\?$/.exec(d.message);
      return m ? [JSON.stringify([...d.path.slice(0, -1), m[1]])] : [];
    }),
  );
  return described.filter((d) => {
    const m = /^missing required key "(.+)"$/.exec(d.message);
    return !m || !suggested.has(JSON.stringify([...d.path, m[1]]));
  });
}

function describe(schema: z.core.$ZodType, issue: Issue, prefix: readonly PathSegment[]): DescribedIssue[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const at = (message: string, where: 'key' | 'value' = 'value', p: readonly PathSegment[] = path): DescribedIssue[] => [
    { path: p, at: where, message },
  ];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(schema, path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        at: 'key' as const,
        message: `unknown key "${key}"${suggest(key, allowed)}`,
      }));
    }
    case 'invalid_type':
      if (issue.input === undefined && path.length > 0) {
        return at(`missing required key "${path[path.length - 1]}"`, 'value', path.slice(0, -1));
      }
      if (path.length === 0 && issue.input == null) return at('the file is empty (expected a map with at least "upstreams")');
      if (path.length === 2 && path[0] === 'upstreams' && issue.expected === 'object') {
        return at(`expected a URL, a list of URLs or a map with "endpoints", got ${kindOf(issue.input)}`);
      }
      if (issue.expected === 'int' && typeof issue.input === 'number') return at(`expected an integer, got ${issue.input}`);
      return at(`expected ${noun(issue.expected)}, got ${kindOf(issue.input)}`);
    case 'invalid_union': {
      if (issue.input === undefined && path.length > 0) {
        return at(`missing required key "${path[path.length - 1]}"`, 'value', path.slice(0, -1));
      }
      // Report the one branch that got past the type check ("a list, but item 2 is wrong") if any.
      const deeper = issue.errors.filter((branch) => !branch.every((b) => b.code === 'invalid_type' && b.path.length === 0));
      if (deeper.length === 1) return deeper[0]!.flatMap((b) => describe(schema, b, path));
      const expected = issue.errors.flatMap((branch) => branch.map((b) => (b.code === 'invalid_type' ? noun(b.expected) : '')));
      const names = [...new Set(expected.filter(Boolean))];
      return at(names.length > 0 ? `expected ${names.join(' or ')}, got ${kindOf(issue.input)}` : issue.message);
    }
    case 'invalid_key': {
      const reasons = issue.issues.map((i) => i.message).join('; ');
      return at(`invalid name "${path[path.length - 1]}" (${reasons})`, 'key');
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const got = typeof issue.input === 'string' ? `"${issue.input}"` : String(issue.input);
      const hint = typeof issue.input === 'string' ? suggest(issue.input, values) : '';
      return at(`invalid value ${got} (expected one of: ${values.join(', ')})${hint}`);
    }
    case 'invalid_format':
      return at(issue.input === undefined ? issue.message : `${issue.message} (got "${issue.input}")`);
    case 'too_small':
      return at(bound(issue.origin, 'least', issue.minimum, issue.inclusive) ?? issue.message);
    case 'too_big':
      return at(bound(issue.origin, 'most', issue.maximum, issue.inclusive) ?? issue.message);
    default:
      return at(issue.message);
  }
}

function bound(origin: string, side: 'least' | 'most', limit: number | bigint, inclusive = true): string | undefined {
  const n = Number(limit);
  if (origin === 'array' || origin === 'set') {
    if (side === 'least' && n === 1) return 'must not be empty';
    return `must have at ${side} ${n} item${n === 1 ? '' : 's'}`;
  }
  if (origin === 'string') return `must be at ${side} ${n} character${n === 1 ? '' : 's'} long`;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    return inclusive ? `must be at ${side} ${n}` : `must be ${side === 'least' ? 'greater' : 'less'} than ${n}`;
  }
  return undefined;
}

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  set: 'a list',
  object: 'a map',
  record: 'a map',
  map: 'a map',
  null: 'nothing',
};

function noun(expected: string): string {
  return NOUNS[expected] ?? `a ${expected}`;
}

/** Names a YAML value's kind: `a string`, `a list`, `nothing` for an empty `key:`. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** The keys a strict object at `path` allows, found by walking the zod definition. */
function objectKeysAt(schema: z.core.$ZodType, path: readonly PathSegment[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (const segment of path) {
    const def = unwrap(current)?._zod.def as Def | undefined;
    if (def?.type === 'object') current = def.shape?.[String(segment)];
    else if (def?.type === 'record') current = def.valueType;
    else if (def?.type === 'array') current = def.element;
    else return [];
  }
  const def = unwrap(current)?._zod.def as Def | undefined;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

/** The slice of zod's internal definitions this walk reads. */
interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  out?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  valueType?: z.core.$ZodType;
  element?: z.core.$ZodType;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let guard = 0; current && guard < 32; guard++) {
    const def = current._zod.def as Def;
    if (WRAPPERS.has(def.type)) current = def.innerType;
    // A preprocess is transform → schema: the shape lives on the out side.
    else if (def.type === 'pipe') current = (def.in?._zod.def as Def | undefined)?.type === 'transform' ? def.out : def.in;
    else return current;
  }
  return current;
}
