// Secrets never leave through the admin API (issue 9 item 14): credential-like shadow headers,
// webhook query strings and userinfo are redacted in GET /config; the validator refuses upstream
// URLs with credentials and a whitespace-only admin token, without echoing the secret.
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfigText } from '../../src/config/load.js';
import { startFieldlab, startUpstream } from '../helpers/servers.js';

const SECRETS = ['s3cr3t-api-key', 'b34rer-t0ken', 'c00kie-v4l', 'h00k-t0ken', 'us3r-pw', 'x-auth-v4l', 'h00k-s1g'];

describe('admin secrets', () => {
  it('redacts shadow header rewrites, webhook query strings and userinfo in /config', async () => {
    const up = await startUpstream('u');
    const fl = await startFieldlab(`
upstreams: { c: ${up.url}, v: ${up.url}, dark: ${up.url} }
routes:
  - name: r
    match: { path: /* }
    arms: { control: c, variant: v }
    split: { variant: 10 }
    shadow:
      - to: dark
        headers:
          set: { x-api-key: s3cr3t-api-key, Authorization: "Bearer b34rer-t0ken", cookie: c00kie-v4l, x-auth-token: x-auth-v4l, x-env: dark }
    guardrails:
      webhook: "https://user:us3r-pw@hooks.example.com/notify?token=h00k-t0ken&sig=h00k-s1g"
`);
    try {
      const text = await (await fetch(`${fl.adminUrl}/config`)).text();
      for (const s of SECRETS) expect(text, s).not.toContain(s);
      expect(text).toContain('"x-env": "***"');
      expect(text).toContain('hooks.example.com/notify?token=***&sig=***');
    } finally {
      await fl.close();
      await up.close();
    }
  });

  it('refuses upstream URLs with credentials and a blank admin token, naming neither secret', () => {
    const base = 'routes: [ { name: r, arms: { control: a } } ]\n';
    const bad = (text: string) => {
      const r = loadConfigText(text, 'f.yaml', {});
      if (r.ok) throw new Error('expected the config to be invalid');
      return r.errors.map(formatConfigError).join('\n');
    };
    for (const url of ['http://user:us3r-pw@127.0.0.1:9001', 'http://us3r-pw@127.0.0.1:9001', 'https://:us3r-pw@h']) {
      const msg = bad(`upstreams: { a: "${url}" }\n${base}`);
      expect(msg).toContain('contains credentials');
      expect(msg).not.toContain('us3r-pw');
    }
    for (const token of ['" "', '"\\t\\n"', '"t0ken\\n"']) {
      expect(bad(`admin: { token: ${token} }\nupstreams: { a: "http://127.0.0.1:1" }\n${base}`)).toMatch(/admin\.token/);
    }
    expect(loadConfigText(`admin: { token: "" }\nupstreams: { a: "http://127.0.0.1:1" }\n${base}`, 'f.yaml', {}).ok).toBe(true);
  });
});
