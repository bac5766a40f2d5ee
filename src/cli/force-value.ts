/**
 * `fieldlab force-value ROUTE ARM [--ttl 1h] [--config FILE]`: mints a signed QA override value for
 * a route whose `force:` has a `secret` (routing/force.ts), or with ARM `fault:abort|fault:delay` a
 * signed fault request for a route with `fault.header` (faults/header.ts). The secret comes from the
 * route in the config file, else from FIELDLAB_FORCE_SECRET; never from the command line, where it
 * would show in `ps` and shell history.
 */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../config/load.js';
import type { RawFault } from '../config/schema-fault.js';
import { parseDuration } from '../config/units.js';
import { signForce } from '../routing/force.js';
import { type CommandSpec, readFlags } from './flags.js';
import type { CliIo } from './io.js';

/** `fieldlab force-value ROUTE ARM`: its flags. */
export const FORCE_VALUE: CommandSpec = {
  name: 'force-value',
  positional: 'ROUTE ARM',
  positionals: 2,
  summary: 'print a signed QA override value for a route whose force: has a secret (its force.secret, else FIELDLAB_FORCE_SECRET)',
  flags: {
    ttl: { value: 'DURATION', help: 'how long the value is followed (default 1h, at least 1s)' },
    config: { value: 'FILE', help: 'the config with the route, its arms and its secret (default config/fieldlab.yaml)' },
  },
};

/**
 * Prints `ARM.EXPIRY.SIG` for the header or cookie the route forces with. Exit 0, 1 (no secret or an
 * invalid config), 2 (usage: unknown route or arm, bad --ttl).
 * @example runForceValue(['checkout', 'variant', '--ttl', '30m'], io) // prints variant.1767225600.Xx…
 */
export function runForceValue(args: string[], io: CliIo, now = Date.now()): number {
  const parsed = readFlags(FORCE_VALUE, args, io);
  if (typeof parsed === 'number') return parsed;
  const [route, arm] = parsed.positionals;
  if (!route || !arm) {
    io.err('fieldlab force-value: give a ROUTE and an ARM\nusage: fieldlab force-value ROUTE ARM [--ttl DURATION] [--config FILE]');
    return 2;
  }
  const ttl = parseDuration(parsed.values.get('ttl') ?? '1h');
  if (!ttl.ok || ttl.value < 1000) {
    io.err(`fieldlab force-value: --ttl ${ttl.ok ? 'must be at least 1s' : ttl.error}`);
    return 2;
  }
  const file = parsed.values.get('config') ?? 'config/fieldlab.yaml';
  let secret: string | undefined;
  // With the config at hand, the route and arm are checked (a typo would mint a value that is
  // silently refused) and the secret can come from it.
  if (parsed.values.get('config') !== undefined || existsSync(file)) {
    const loaded = loadConfigFile(file, io.env);
    if (!loaded.ok) {
      io.err(`fieldlab force-value: ${file} is invalid (fieldlab validate ${file})`);
      return 1;
    }
    const r = loaded.config.routes.find((x) => x.name === route);
    if (!r) {
      io.err(`fieldlab force-value: no route "${route}" in ${file}`);
      return 2;
    }
    // `fault:abort|delay|first-byte|throttle` ask for a fault (fault.header), signed the same way.
    const kind = arm.startsWith('fault:') ? arm.slice(6) : undefined;
    if (kind !== undefined && (!r.fault?.header || !faultBlock(r.fault, kind))) {
      io.err(`fieldlab force-value: route "${route}" takes no "${arm}" (it needs fault.header and ${faultKey(kind)})`);
      return 2;
    }
    if (kind === undefined && !Object.hasOwn(r.arms, arm)) {
      io.err(`fieldlab force-value: route "${route}" has no arm "${arm}" (${Object.keys(r.arms).join(', ')})`);
      return 2;
    }
    // The route's own secret is what the proxy checks, so it wins over the environment.
    const lock = kind !== undefined ? r.fault?.header : typeof r.force === 'object' ? r.force : undefined;
    secret = lock?.secret;
    if (lock && ttl.value > lock.maxTtl) {
      io.err(
        `fieldlab force-value: --ttl is longer than route "${route}"'s ${kind !== undefined ? 'fault.header' : 'force'}.maxTtl (${lock.maxTtl / 1000}s); the proxy would refuse the value`,
      );
      return 2;
    }
  }
  secret ??= io.env.FIELDLAB_FORCE_SECRET || undefined;
  if (!secret) {
    io.err(`fieldlab force-value: no secret: set FIELDLAB_FORCE_SECRET or force.secret on route "${route}"`);
    return 1;
  }
  io.out(signForce(secret, route, arm, Math.floor((now + ttl.value) / 1000)));
  return 0;
}

/** The config key a signed fault kind needs (`fault:first-byte` → fault.response.firstByte). */
function faultKey(kind: string): string {
  if (kind === 'first-byte') return 'fault.response.firstByte';
  if (kind === 'throttle') return 'fault.response.throttle';
  return `fault.${kind || 'abort'}`;
}

function faultBlock(f: RawFault, kind: string): boolean {
  if (kind === 'abort' || kind === 'delay') return f[kind] !== undefined;
  if (kind === 'first-byte') return f.response?.firstByte !== undefined;
  return kind === 'throttle' && f.response?.throttle !== undefined;
}
