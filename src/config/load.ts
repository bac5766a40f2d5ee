/**
 * Reads a config file into a validated RawConfig, or into errors that each name a file, line, column
 * and config path. Never throws: an unreadable file, bad YAML, a missing environment variable and a
 * schema violation all come back as ConfigErrors, sorted by position.
 *
 * Order matters: parse (positions) → substitute env into scalars (types) → validate (meaning).
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigSchema, type RawConfig } from './schema.js';
import { maskReferences, substituteEnv, unmaskDocument, type Env } from './env-substitute.js';
import { findNode, formatPath, positionOf } from './yaml-locate.js';
import { describeIssues } from './zod-issues.js';

/** One problem in a config file; `line` and `col` are 1-based, `path` is '' for the file as a whole. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Where in the config, e.g. `routes[0].split.variant` or `upstreams.checkout-v1`. */
  readonly path: string;
  readonly message: string;
}

/** A validated config with defaults filled in, plus the source text it came from; or why not. */
export type LoadResult = { ok: true; config: RawConfig; text: string } | { ok: false; errors: ConfigError[] };

/**
 * Parses, substitutes and validates config text. `file` only labels the errors.
 * @example loadConfigText('upstreams: { a: "http://127.0.0.1:9001" }', 'inline.yaml', {}) // { ok: true, … }
 */
export function loadConfigText(text: string, file: string, env: Env): LoadResult {
  const lineCounter = new LineCounter();
  const { masked, unmask } = maskReferences(quoteMemoryStore(text));
  const doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);

  // Syntax errors first, alone. After the first one the parser's view is a guess and what follows
  // is mostly cascade, so report only that one, plus duplicate keys, which never cascade.
  const syntax = doc.errors.filter((e, i) => i === 0 || e.code === 'DUPLICATE_KEY');
  if (syntax.length > 0) {
    return fail(syntax.map((e) => ({ file, ...at(e.pos[0]), path: '', message: `invalid YAML: ${e.message}${hint(text, e.pos[0])}` })));
  }

  unmaskDocument(doc, unmask);
  const envErrors = substituteEnv(doc, env).map((e) => ({
    file,
    ...positionOf(e.node, lineCounter),
    path: formatPath(e.path),
    message: e.message,
  }));
  const data = toJS(doc);
  if (!data.ok) return fail([...envErrors, { file, line: 1, col: 1, path: '', message: data.error }]);

  const result = ConfigSchema.safeParse(data.value, { reportInput: true });
  if (result.success && envErrors.length === 0) return { ok: true, config: result.data, text };
  // Schema and environment errors come back together (one pass, not rounds of fixes); a schema
  // error at or under a failed substitution is its echo (the value still reads "${X}"), so it goes.
  // Under, by position too: the schema may name a normalized path (upstreams.b.endpoints[0]).
  const echoes = (e: ConfigError) =>
    envErrors.some(
      (env) =>
        (env.line === e.line && env.col === e.col) ||
        e.path === env.path ||
        e.path.startsWith(`${env.path}.`) ||
        e.path.startsWith(`${env.path}[`),
    );
  const schemaErrors = (result.success ? [] : describeIssues(ConfigSchema, result.error.issues))
    .map((issue) => ({
      file,
      ...positionOf(findNode(doc, issue.path, issue.at), lineCounter),
      path: formatPath(issue.path),
      message: issue.message,
    }))
    .filter((e) => !echoes(e));
  return fail([...envErrors, ...schemaErrors]);
}

/**
 * `store: sqlite::memory:` is what people write, but to YAML the trailing `:` makes it a nested map
 * (an error). Unquoted, it can only mean the store URL, so it is quoted before parsing; columns
 * after it on that line shift by two, which only a trailing comment can be.
 * @example quoteMemoryStore('store: sqlite::memory:\n') // 'store: "sqlite::memory:"\n'
 */
export function quoteMemoryStore(text: string): string {
  return text.replace(/(^|[\s,[{])(sqlite::memory:)(?=[ \t]*(?:$|#|,|\}|\]))/gm, '$1"$2"');
}

/**
 * Reads and loads a config file; a missing or unreadable file is an error at 1:1, not an exception.
 * @example const r = loadConfigFile('fieldlab.yaml'); if (!r.ok) r.errors.forEach((e) => console.error(formatConfigError(e)));
 */
export function loadConfigFile(file: string, env: Env = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return fail([{ file, line: 1, col: 1, path: '', message: readFailure(err) }]);
  }
  return loadConfigText(text, file, env);
}

/**
 * One error as one line, in the `file:line:col` form editors and terminals turn into links.
 * @example formatConfigError(e) // 'fieldlab.yaml:5:7 routes[0].spilt: unknown key "spilt", did you mean "split"?'
 */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.col} ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

function fail(errors: ConfigError[]): LoadResult {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = formatConfigError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Array.prototype.sort is stable, so errors at one position keep zod's order.
  return { ok: false, errors: unique.sort((a, b) => a.line - b.line || a.col - b.col) };
}

/** `[http://${HOST}]` breaks YAML: `{` and `}` end flow collections. Say so when that's the likely cause. */
function hint(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end === -1 ? undefined : end);
  return /[[{].*\$\{/.test(line) ? ' (inside [ ] or { }, quote values that use ${…}, e.g. "${NAME}")' : '';
}

function toJS(doc: Document): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    // The alias cap stops a "billion laughs" file from expanding into gigabytes.
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return { ok: false, error: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'cannot read config: file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read config: permission denied';
  if (code === 'EISDIR') return 'cannot read config: is a directory';
  return `cannot read config: ${err instanceof Error ? err.message : String(err)}`;
}
