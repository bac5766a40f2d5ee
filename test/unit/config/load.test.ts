// Config loading end to end on text: YAML positions, env substitution, defaults and the exact error lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { formatConfigError, loadConfigFile, loadConfigText, type LoadResult } from '../../../src/config/load.js';
import { expandEnv } from '../../../src/config/env-substitute.js';
import { suggest } from '../../../src/config/schema.js';

// Line numbers in the expectations below refer to this text.
const VALID = `listen: 127.0.0.1:0
upstreams:
  a: http://127.0.0.1:9001
  b: [http://127.0.0.1:9002, http://127.0.0.1:9003]
routes:
  - name: r
    match: { path: /api/* }
    arms: { control: a, variant: b }
    split: { variant: 10 }
`;

function load(text: string, env: Record<string, string | undefined> = {}): LoadResult {
  return loadConfigText(text, 'f.yaml', env);
}

/** The formatted error lines, or a failing expectation if the text loaded. */
function errors(text: string, env: Record<string, string | undefined> = {}): string[] {
  const r = load(text, env);
  if (r.ok) throw new Error('expected the config to be invalid');
  return r.errors.map(formatConfigError);
}

function config(text: string, env: Record<string, string | undefined> = {}) {
  const r = load(text, env);
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.errors.map(formatConfigError).join('\n')}`);
  return r.config;
}

describe('loadConfigText: valid files', () => {
  it('loads the minimal config and keeps the source text', () => {
    const r = load(VALID);
    expect(r.ok && r.text).toBe(VALID);
    const cfg = config(VALID);
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(cfg.routes[0]).toMatchObject({ name: 'r', arms: { control: 'a', variant: 'b' }, split: { variant: 10 } });
  });

  it('fills defaults', () => {
    const cfg = config(VALID);
    expect(cfg.limits.maxHeaderSize).toBe(16_384);
    expect(cfg.limits.requestTimeout).toBe(300_000);
    expect(cfg.admin.listen).toEqual({ host: '127.0.0.1', port: 9901 });
    expect(cfg.drainTimeout).toBe(30_000);
    expect(cfg.log).toEqual({ level: 'info', access: true });
    expect(cfg.defaults).toEqual({
      timeouts: { connect: 5000, headers: 30_000, idle: 60_000, queue: 5000, keepAlive: 1500 },
      connections: 128,
      queue: 1024,
    });
    expect(cfg.trustedProxies).toEqual([]);
    expect(cfg.routes[0]).toMatchObject({ sticky: ['cookie:fl_uid'], exposeArm: false });
  });

  it('accepts the string, list and object forms of an upstream', () => {
    const cfg = config(`upstreams:
  one: http://127.0.0.1:9001/
  list: [http://127.0.0.1:9002, https://example.com]
  single: { endpoints: http://127.0.0.1:9003 }
  full:
    endpoints: [http://127.0.0.1:9004]
    timeouts: { connect: 1s }
    connections: 8
    host: api.internal
`);
    expect(cfg.upstreams.one).toEqual({ endpoints: ['http://127.0.0.1:9001'] });
    expect(cfg.upstreams.list).toEqual({ endpoints: ['http://127.0.0.1:9002', 'https://example.com'] });
    expect(cfg.upstreams.single).toEqual({ endpoints: ['http://127.0.0.1:9003'] });
    expect(cfg.upstreams.full).toEqual({
      endpoints: ['http://127.0.0.1:9004'],
      timeouts: { connect: 1000, headers: 30_000, idle: 60_000, queue: 5000, keepAlive: 1500 },
      connections: 8,
      host: 'api.internal',
    });
  });
});

describe('loadConfigText: environment substitution', () => {
  it('substitutes ${NAME} and falls back to ${NAME:-default} when unset or empty', () => {
    const text = VALID.replace('127.0.0.1:0', '${LISTEN:-127.0.0.1:7000}').replace('http://127.0.0.1:9001', 'http://${HOST}:9001');
    expect(config(text, { HOST: '10.0.0.5' }).listen).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(config(text, { HOST: '10.0.0.5', LISTEN: '' }).listen.port).toBe(7000);
    expect(config(text, { HOST: '10.0.0.5', LISTEN: ':81' }).listen.port).toBe(81);
    expect(config(text, { HOST: '10.0.0.5' }).upstreams.a).toEqual({ endpoints: ['http://10.0.0.5:9001'] });
  });

  it('reports an unset variable at its scalar', () => {
    const text = VALID.replace('127.0.0.1:0', '${LISTEN}');
    expect(errors(text)).toEqual(['f.yaml:1:9 listen: environment variable LISTEN is not set']);
  });

  it('reports each unset variable in list items with their path', () => {
    const text = VALID.replace('[http://127.0.0.1:9002, http://127.0.0.1:9003]', '\n    - http://${B_HOST}:${B_PORT}');
    expect(errors(text)).toEqual([
      'f.yaml:5:7 upstreams.b[0]: environment variable B_HOST is not set',
      'f.yaml:5:7 upstreams.b[0]: environment variable B_PORT is not set',
    ]);
  });

  it('works in flow collections, quoted or bare, keeping positions exact', () => {
    const quoted = VALID.replace('http://127.0.0.1:9003', '"http://${B_HOST}:9003"');
    expect(config(quoted, { B_HOST: 'h' }).upstreams.b!.endpoints).toEqual(['http://127.0.0.1:9002', 'http://h:9003']);
    const bare = VALID.replace('http://127.0.0.1:9003', 'http://${B_HOST}:9003');
    expect(config(bare, { B_HOST: 'h' }).upstreams.b!.endpoints).toEqual(['http://127.0.0.1:9002', 'http://h:9003']);
    // The contract's own line (PRODUCT.md): an unquoted reference with an empty default inside { }.
    const contract = `${VALID}admin: { listen: 127.0.0.1:9901, token: \${FIELDLAB_ADMIN_TOKEN:-} }\n`;
    expect(config(contract, {}).admin.token).toBe('');
    expect(config(contract, { FIELDLAB_ADMIN_TOKEN: 't0k' }).admin.token).toBe('t0k');
    // An error after a masked reference on the same line still points at the right column.
    expect(errors(`${VALID}admin: { token: \${T}, lisen: 1 }\n`, { T: 'x' })).toEqual([
      'f.yaml:10:23 admin.lisen: unknown key "lisen", did you mean "listen"?',
    ]);
  });

  it('turns $${ into a literal ${', () => {
    const cfg = config(`${VALID}admin:\n  token: a$\${NOT_A_VAR}b\n`);
    expect(cfg.admin.token).toBe('a${NOT_A_VAR}b');
  });

  it('types a plain scalar that is one whole reference as a number or boolean', () => {
    const text = `${VALID}    exposeArm: \${EXPOSE}\nlimits:\n  maxHeaders: \${MAX}\n`;
    const cfg = config(text, { EXPOSE: 'true', MAX: '50' });
    expect(cfg.limits.maxHeaders).toBe(50);
    expect(cfg.routes[0]!.exposeArm).toBe(true);
  });

  it('keeps quoted and mixed references as strings', () => {
    expect(errors(`${VALID}limits:\n  maxHeaders: "\${MAX}"\n`, { MAX: '50' })).toEqual([
      'f.yaml:11:15 limits.maxHeaders: expected a number, got a string',
    ]);
    expect(config(`${VALID}admin:\n  token: \${TOKEN}\n`, { TOKEN: 'abc' }).admin.token).toBe('abc');
    expect(config(`${VALID}admin:\n  token: x\${TOKEN}\n`, { TOKEN: '12' }).admin.token).toBe('x12');
  });

  it('cannot inject YAML through a value', () => {
    const cfg = config(`${VALID}admin:\n  token: \${TOKEN}\n`, { TOKEN: '{ listen: "0.0.0.0:1" }\nx: 1' });
    expect(cfg.admin.token).toBe('{ listen: "0.0.0.0:1" }\nx: 1');
    expect(cfg.admin.listen.port).toBe(9901);
  });

  it('expandEnv reports unclosed and malformed references', () => {
    expect(expandEnv('${A', {}).errors).toEqual(['unclosed environment reference "${A" (use ${NAME} or ${NAME:-default})']);
    expect(expandEnv('${1A}', {}).errors).toEqual(['invalid environment reference "${1A}" (use ${NAME} or ${NAME:-default})']);
    expect(expandEnv('${A:-x}-${B:-}', { A: 'a' })).toEqual({ value: 'a-', errors: [] });
  });
});

describe('loadConfigText: located errors', () => {
  it('reports bad YAML at the parser position', () => {
    expect(errors(VALID.replace('{ path: /api/* }', '{ path: /api/*'))).toEqual([
      'f.yaml:8:5 invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('reports a duplicate key as a YAML error at the second key', () => {
    expect(errors(`${VALID}listen: 127.0.0.1:1\n`)).toEqual(['f.yaml:10:1 invalid YAML: Map keys must be unique']);
  });

  it('reports an unknown key at the key, with a did-you-mean', () => {
    expect(errors(VALID.replace('    split:', '    spilt:'))).toEqual([
      'f.yaml:9:5 routes[0].spilt: unknown key "spilt", did you mean "split"?',
    ]);
  });

  it('suggests top-level, match, admin, limits and log keys', () => {
    const text = `${VALID.replace('{ path: /api/* }', '{ pth: /api/* }')}lisen: 1
admin: { tokn: x }
limits: { maxHeaderSise: 1KiB }
log: { levl: info }
`;
    expect(errors(text.replace('listen: 127.0.0.1:0\n', ''))).toEqual([
      'f.yaml:6:14 routes[0].match.pth: unknown key "pth", did you mean "path"?',
      'f.yaml:9:1 lisen: unknown key "lisen", did you mean "listen"?',
      'f.yaml:10:10 admin.tokn: unknown key "tokn", did you mean "token"?',
      'f.yaml:11:11 limits.maxHeaderSise: unknown key "maxHeaderSise", did you mean "maxHeaderSize"?',
      'f.yaml:12:8 log.levl: unknown key "levl", did you mean "level"?',
    ]);
  });

  it('reports a bad percent with its value', () => {
    expect(errors(VALID.replace('variant: 10', 'variant: 150'))).toEqual([
      'f.yaml:9:23 routes[0].split.variant: invalid percent "150" (must be between 0 and 100)',
    ]);
  });

  it('reports a dangling upstream at the arm value', () => {
    expect(errors(VALID.replace('control: a', 'control: nope'))).toEqual(['f.yaml:8:22 routes[0].arms.control: unknown upstream "nope"']);
    expect(errors(VALID.replace('control: a', 'control: aa'))).toEqual([
      'f.yaml:8:22 routes[0].arms.control: unknown upstream "aa", did you mean "a"?',
    ]);
  });

  it('reports a duplicate route name at the second name', () => {
    expect(errors(`${VALID}  - name: r\n    arms: { control: a }\n`)).toEqual(['f.yaml:10:11 routes[1].name: duplicate route name "r"']);
  });

  it('reports a split over the variant lane', () => {
    const text = VALID.replace('variant: b }', 'variant: b, v2: a }').replace('variant: 10', 'variant: 60');
    expect(errors(text)).toEqual([
      "f.yaml:9:23 routes[0].split.variant: 60% exceeds this variant's lane of 50% (2 variants share the bucket space equally so ramps never move users between variants)",
    ]);
  });

  it('reports missing control, and control in split', () => {
    expect(errors(VALID.replace('control: a, ', ''))).toEqual(['f.yaml:8:11 routes[0].arms: arms must include "control"']);
    expect(errors(VALID.replace('{ variant: 10 }', '{ control: 10 }'))).toEqual([
      'f.yaml:9:23 routes[0].split.control: control gets the rest; split lists variants only',
    ]);
  });

  it('reports missing required keys at the parent map', () => {
    expect(
      errors(VALID.replace('    arms: { control: a, variant: b }\n', '').replace('split: { variant: 10 }', 'exposeArm: true')),
    ).toEqual(['f.yaml:6:5 routes[0]: missing required key "arms"']);
    expect(errors('listen: 127.0.0.1:0\n')).toEqual(['f.yaml:1:1 missing required key "upstreams"']);
    expect(errors('upstreams:\n  a: { connections: 2 }\n')).toEqual(['f.yaml:2:6 upstreams.a: missing required key "endpoints"']);
  });

  it('locates errors inside the short upstream forms', () => {
    expect(errors(VALID.replace('http://127.0.0.1:9003', 'ftp://x'))).toEqual([
      'f.yaml:4:30 upstreams.b.endpoints[1]: upstream URL "ftp://x" must use http:// or https://',
    ]);
    expect(errors(VALID.replace('a: http://127.0.0.1:9001', 'a: 5'))).toEqual([
      'f.yaml:3:6 upstreams.a: expected a URL, a list of URLs or a map with "endpoints", got a number',
    ]);
  });

  it('uses YAML words for types and sorts errors by position', () => {
    const text = `upstreams:
  a b: http://127.0.0.1:1
routes:
  - name: r
    arms: { control: a b }
    sticky: []
    match: { methods: [get, BREW] }
log: { level: inf }
trustedProxies: 10.0.0.0/8
listen: true
`;
    expect(errors(text)).toEqual([
      'f.yaml:2:3 upstreams["a b"]: invalid name "a b" (names use letters, digits, "_", "." and "-")',
      // Not a cascade: renaming the upstream alone leaves this arm pointing at "a b".
      'f.yaml:5:22 routes[0].arms.control: unknown upstream "a b"',
      'f.yaml:6:13 routes[0].sticky: must not be empty',
      'f.yaml:7:29 routes[0].match.methods[1]: invalid value "BREW" (expected one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT)',
      'f.yaml:8:15 log.level: invalid value "inf" (expected one of: trace, debug, info, warn, error, fatal, silent), did you mean "info"?',
      'f.yaml:9:17 trustedProxies: expected a list, got a string',
      'f.yaml:10:9 listen: expected a string or a number, got a boolean',
    ]);
  });

  it('reports an empty file at 1:1', () => {
    expect(errors('')).toEqual(['f.yaml:1:1 the file is empty (expected a map with at least "upstreams")']);
    expect(errors('# nothing\n')).toEqual(['f.yaml:1:1 the file is empty (expected a map with at least "upstreams")']);
  });
});

describe('loadConfigFile', () => {
  it('reads a file, and reports a missing one at 1:1 without throwing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldlab-load-'));
    try {
      const file = join(dir, 'fieldlab.yaml');
      writeFileSync(file, VALID);
      expect(loadConfigFile(file, {}).ok).toBe(true);
      const missing = loadConfigFile(join(dir, 'nope.yaml'), {});
      expect(missing.ok ? [] : missing.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'nope.yaml')}:1:1 cannot read config: file not found`,
      ]);
      const isDir = loadConfigFile(dir, {});
      expect(isDir.ok ? [] : isDir.errors.map(formatConfigError)).toEqual([`${dir}:1:1 cannot read config: is a directory`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('formatConfigError', () => {
  it('omits the path for file-level errors', () => {
    expect(formatConfigError({ file: 'a.yaml', line: 3, col: 7, path: 'routes[0].arms', message: 'm' })).toBe(
      'a.yaml:3:7 routes[0].arms: m',
    );
    expect(formatConfigError({ file: 'a.yaml', line: 1, col: 1, path: '', message: 'm' })).toBe('a.yaml:1:1 m');
  });
});

describe('suggest', () => {
  it('names the closest candidate within a small edit distance', () => {
    expect(suggest('spilt', ['split', 'sticky', 'seed'])).toBe(', did you mean "split"?');
    expect(suggest('Upstream', ['upstreams', 'routes'])).toBe(', did you mean "upstreams"?');
    expect(suggest('maxHeaderSise', ['maxHeaderSize', 'maxHeaders'])).toBe(', did you mean "maxHeaderSize"?');
  });

  it('says nothing when no candidate is close', () => {
    expect(suggest('completely-different', ['split', 'sticky'])).toBe('');
    expect(suggest('x', [])).toBe('');
  });
});
