/**
 * `${NAME}` and `${NAME:-default}` substitution, applied to parsed string scalars rather than raw text:
 * positions stay exact and an environment value can never inject YAML structure.
 */
import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { keyText, type PathSegment } from './yaml-locate.js';

/** The environment substitution reads from (usually `process.env`). */
export type Env = Record<string, string | undefined>;

/** A failed substitution, located at the scalar that asked for it. */
export interface SubstitutionError {
  readonly node: Node;
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** `$${` (an escaped literal) or `${…}`, possibly unclosed. */
const REFERENCE = /\$\$\{|\$\{([^}]*)(\})?/g;
const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Expands references in one string. `${NAME:-default}` uses the default when NAME is unset or empty,
 * like the shell; `$${` yields a literal `${`.
 * @example expandEnv('http://${HOST:-localhost}:80', {}) // { value: 'http://localhost:80', errors: [] }
 */
export function expandEnv(text: string, env: Env): { value: string; errors: string[] } {
  const errors: string[] = [];
  const value = text.replace(REFERENCE, (whole, body: string | undefined, close: string | undefined) => {
    if (whole === '$${') return '${';
    if (close === undefined) {
      errors.push(`unclosed environment reference "${whole}" (use \${NAME} or \${NAME:-default})`);
      return whole;
    }
    const m = NAME.exec(body ?? '');
    if (!m) {
      errors.push(`invalid environment reference "${whole}" (use \${NAME} or \${NAME:-default})`);
      return whole;
    }
    const [, name, fallback] = m;
    const set = env[name!];
    if (set !== undefined && (set !== '' || fallback === undefined)) return set;
    if (fallback !== undefined) return fallback;
    errors.push(`environment variable ${name} is not set`);
    return whole;
  });
  return { value, errors };
}

const MASK_START = 0xe000;
const MASK_DIGIT = 0xe100;

/**
 * Hides `${…}` references from the YAML parser behind placeholders of the same length made of
 * private-use characters. `{` and `}` end flow collections, so without this the contract's own
 * `admin: { token: ${TOKEN:-} }` would be a syntax error; equal lengths keep every position exact.
 * @example maskReferences('a: { b: ${X} }').masked.length // 14, like the input
 */
export function maskReferences(text: string): { masked: string; unmask: (s: string) => string } {
  const originals: string[] = [];
  const masked = text.replace(/(?<!\$)\$\{[^}\n]*\}/g, (ref) => {
    let id = originals.push(ref) - 1;
    let code = '';
    for (let i = 1; i < ref.length; i++, id >>= 8) code += String.fromCharCode(MASK_DIGIT + (id & 0xff));
    return String.fromCharCode(MASK_START) + code;
  });
  if (originals.length === 0) return { masked, unmask: (s) => s };
  const placeholder = new RegExp(`${String.fromCharCode(MASK_START)}[\\u{e100}-\\u{e1ff}]+`, 'gu');
  return {
    masked,
    unmask: (s) =>
      s.replace(placeholder, (p) => {
        let id = 0;
        for (let i = p.length - 1; i >= 1; i--) id = id * 256 + (p.charCodeAt(i) - MASK_DIGIT);
        return originals[id] ?? p;
      }),
  };
}

/** Puts the original `${…}` text back into every scalar (keys included) after parsing. */
export function unmaskDocument(doc: Document, unmask: (s: string) => string): void {
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        visit(pair.key);
        visit(pair.value);
      }
    } else if (isSeq(node)) {
      node.items.forEach(visit);
    } else if (isScalar(node) && typeof node.value === 'string') {
      node.value = unmask(node.value);
    }
  };
  visit(doc.contents);
}

/**
 * Substitutes every string value scalar in `doc` in place (keys are left alone). A plain scalar that
 * is exactly one reference becomes a number or boolean when its value looks like one, so
 * `port: ${PORT}` types like `port: 8080`; quoted scalars stay strings, as quoting means in YAML.
 * @example substituteEnv(parseDocument('port: ${PORT}'), { PORT: '80' }) // [] and port is now 80
 */
export function substituteEnv(doc: Document, env: Env): SubstitutionError[] {
  const errors: SubstitutionError[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value, [...path, keyText(pair.key)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const original = node.value;
      const result = expandEnv(original, env);
      for (const message of result.errors) errors.push({ node, path, message });
      node.value = node.type === 'PLAIN' && /^\$\{[^}]*\}$/.test(original) ? coerce(result.value) : result.value;
    }
    // Aliases point at an anchor that was already visited where it was defined.
  };
  visit(doc.contents, []);
  return errors;
}

function coerce(value: string): string | number | boolean {
  if (/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(value)) return Number(value);
  if (/^(?:true|True|TRUE)$/.test(value)) return true;
  if (/^(?:false|False|FALSE)$/.test(value)) return false;
  return value;
}
