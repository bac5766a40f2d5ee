/**
 * How CLI commands reach a running Fieldlab: the admin URL from `--admin`, else from the config's
 * `admin.listen` (`--config`, default config/fieldlab.yaml), else 127.0.0.1:9901; the token from
 * `--token` or FIELDLAB_ADMIN_TOKEN, else from the config: GETs send the read token, actions the
 * write token (`admin.token` serves as both).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { request } from 'undici';
import { loadConfigFile } from '../config/load.js';
import type { FlagTable } from './flags.js';
import { flag, type CliIo } from './io.js';

/** The flags of every command that talks to a running Fieldlab. */
export const ADMIN_FLAGS: FlagTable = {
  admin: { value: 'URL', help: 'the admin API (default: admin.listen of --config FILE)' },
  config: { value: 'FILE', help: 'the config to read admin.listen and tokens from (default config/fieldlab.yaml)' },
  token: {
    value: 'TOKEN',
    help: 'bearer token (or FIELDLAB_ADMIN_TOKEN); reads send the read token, actions need the write token',
  },
};

/** A resolved admin endpoint. */
export interface AdminTarget {
  readonly base: string;
  /** Sent with GETs. */
  readonly token: string | undefined;
  /** Sent with actions (POST); defaults to `token`. */
  readonly writeToken?: string | undefined;
}

/** Resolves where the admin API is. */
export function adminTarget(args: readonly string[], io: CliIo): AdminTarget {
  const token = flag(args, 'token') ?? (io.env.FIELDLAB_ADMIN_TOKEN || undefined);
  const explicit = flag(args, 'admin');
  if (explicit) return { base: explicit.replace(/\/$/, ''), token };
  const file = flag(args, 'config') ?? 'config/fieldlab.yaml';
  if (existsSync(file)) {
    const loaded = loadConfigFile(file, io.env);
    if (loaded.ok) {
      const { host, port } = loaded.config.admin.listen;
      const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      const { token: both, readToken, writeToken } = loaded.config.admin;
      const write = token ?? (writeToken || both || undefined);
      return { base: `http://${h}:${port}`, token: token ?? (readToken || writeToken || both || undefined), writeToken: write };
    }
  }
  return { base: 'http://127.0.0.1:9901', token };
}

/**
 * Calls the admin API; never throws: a connection failure comes back as status 0 with a message.
 * @example const r = await adminCall(target, 'GET', '/status')
 */
export async function adminCall(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; error?: string }> {
  const bearer = method === 'GET' ? target.token : (target.writeToken ?? target.token);
  try {
    const res = await request(`${target.base}${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        // Never "unknown": without $USER the host name says where the action came from.
        'x-fieldlab-actor': `cli:${process.env.USER || process.env.LOGNAME || hostname()}`,
        ...headers,
      },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body };
  } catch (err) {
    return { status: 0, body: null, error: `cannot reach the admin API at ${target.base}: ${(err as Error).message}` };
  }
}
