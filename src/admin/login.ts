/**
 * The admin login form: a browser can't send a bearer token, so `GET /login` shows a one-field form
 * and `POST /login` trades a valid token for an HttpOnly, SameSite=Strict session cookie that grants
 * reads (dashboard, reports, status, metrics). Writes stay bearer-only (see auth.ts). The cookie is
 * not marked Secure because the admin listener speaks plain HTTP; put it behind TLS when it leaves
 * a private network.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { html } from './html.js';
import { type AdminCredentials, SESSION_COOKIE, SESSION_SECONDS, sessionValue, tokenLevel } from './auth.js';

const MAX_FORM_BYTES = 4096;

/**
 * Only same-origin paths are followed after a login (an open redirect would be a phishing aid):
 * printable ASCII only — browsers drop tab and newline from URLs, so `/\t/evil` is `//evil`, and a
 * control character can't go into a Location header at all — starting with one `/` not followed
 * by another `/` or a `\`.
 */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/diffs';
}

function page(res: ServerResponse, status: number, next: string, error?: string): void {
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fieldlab admin — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}input,button{font:inherit;padding:.4rem}
input{width:100%;box-sizing:border-box;margin:.5rem 0}.err{color:#b00020}</style></head>
<body><h1>Fieldlab admin</h1>
<p>Paste the admin read token (or the write token). You get a read-only session for this browser;
actions and reloads are API calls with the write token.</p>
${error ? html`<p class="err" role="alert">${error}</p>` : null}
<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form></body></html>
`.toString();
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    // The form must not be framed (clickjacking) and runs no script.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-frame-options': 'DENY',
  });
  res.end(body);
}

/**
 * `GET /login` and `POST /login` handlers over the live credentials.
 * @example createAdminServer({ …, routes: { ...loginRoutes(() => config.current().config.admin) } })
 */
export function loginRoutes(
  creds: () => AdminCredentials,
): Record<'GET /login' | 'POST /login', (req: IncomingMessage, res: ServerResponse) => void> {
  return {
    'GET /login': (req, res) => page(res, 200, safeNext(new URL(req.url ?? '/', 'http://x').searchParams.get('next'))),
    'POST /login': (req, res) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_FORM_BYTES) chunks.push(c);
      });
      req.on('error', () => res.destroy());
      req.on('end', () => {
        // Runs outside the admin server's handler guard: nothing here may throw.
        try {
          answer();
        } catch {
          if (!res.headersSent) page(res, 400, '/diffs', 'invalid form');
          else res.destroy();
        }
      });
      const answer = () => {
        if (size > MAX_FORM_BYTES) return page(res, 413, '/diffs', 'form too large');
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const next = safeNext(form.get('next'));
        const token = form.get('token') ?? '';
        if (tokenLevel(creds(), token) === 'none') return page(res, 401, next, 'That token is not valid here.');
        res.writeHead(303, {
          location: next,
          'set-cookie': `${SESSION_COOKIE}=${sessionValue(token, Date.now())}; Max-Age=${SESSION_SECONDS}; Path=/; HttpOnly; SameSite=Strict`,
          'cache-control': 'no-store',
          'content-length': 0,
        });
        res.end();
      };
    },
  };
}
