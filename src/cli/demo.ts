/**
 * `fieldlab demo` (what `npm start` runs): starts the bundled demo services, then Fieldlab on
 * config/demo.yaml pointed at them, drives a burst of simulated users through it and prints what
 * it saw, so the split and its stickiness are visible before the first curl.
 */
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startDemoService, type DemoService } from '../demo/services.js';
import { startWithSignals, type CliIo } from './start.js';

const DEMO_CONFIG = fileURLToPath(new URL('../../../config/demo.yaml', import.meta.url));

/** `fieldlab demo [--users N]` */
export async function runDemo(args: string[], io: CliIo): Promise<number | undefined> {
  const services: DemoService[] = [
    await startDemoService('control', { version: 'v1' }),
    await startDemoService('variant', { version: 'v2', extra: { recommendations: ['honey'] } }),
  ];
  const env = {
    ...io.env,
    DEMO_CONTROL_URL: services[0]!.url,
    DEMO_VARIANT_URL: services[1]!.url,
  };
  const app = await startWithSignals(DEMO_CONFIG, { ...io, env });
  if (!app) {
    await Promise.all(services.map((s) => s.close()));
    return 1;
  }
  const proxy = `http://127.0.0.1:${app.proxyPort()}`;
  const admin = `http://127.0.0.1:${app.adminPort()}`;
  const users = Number(args[args.indexOf('--users') + 1]) || 500;
  const seen = await driveUsers(proxy, users);
  io.out(
    [
      '',
      'Fieldlab demo is running (Ctrl-C to stop)',
      `  proxy    ${proxy}   route "checkout": /api/checkout/*, control 90% / variant 10%`,
      `  admin    ${admin}/routes   ${admin}/config   ${admin}/healthz`,
      `  control  ${services[0]!.url}   (version v1)`,
      `  variant  ${services[1]!.url}   (version v2)`,
      '',
      `Self-check: ${users} simulated users, each asked twice:`,
      `  control ${seen.control ?? 0}, variant ${seen.variant ?? 0}, errors ${seen.errors}; ${seen.sticky}/${users} users kept their arm`,
      '',
      'Try:',
      `  curl -s ${proxy}/api/checkout/42 -H 'x-user-id: alice'          # same user → same arm, every time`,
      `  curl -s ${proxy}/api/checkout/42 -H 'x-fieldlab-arm: variant'   # QA: force an arm`,
      `  curl -si ${proxy}/api/checkout/42 | grep -i set-cookie          # anonymous: a sticky fl_uid cookie`,
      `  curl -s ${proxy}/nope                                           # no route: coded 404`,
      `  curl -s ${admin}/routes`,
      '',
    ].join('\n'),
  );
  return undefined;
}

async function driveUsers(proxy: string, users: number): Promise<Record<string, number> & { errors: number; sticky: number }> {
  const counts: Record<string, number> & { errors: number; sticky: number } = { errors: 0, sticky: 0 };
  const armOf = async (user: string) => {
    try {
      const res = await request(`${proxy}/api/checkout/1`, { headers: { 'x-user-id': user } });
      const body = (await res.body.json()) as { arm?: string };
      return res.statusCode === 200 ? body.arm : undefined;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < users; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, users - i) }, async (_, j) => {
        const user = `demo-user-${i + j}`;
        const first = await armOf(user);
        const second = await armOf(user);
        if (!first) counts.errors++;
        else counts[first] = (counts[first] ?? 0) + 1;
        if (first && first === second) counts.sticky++;
      }),
    );
  }
  return counts;
}
