// The dashboard's quick retry of a failed experiment-results load is for answers that may change in
// seconds (a 5xx, no answer at all). A route without an experiment answers 404 FL_NO_EXPERIMENT for
// as long as the config says so: its page must not ask again every 2 s, only at the 15 s refresh.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { waitFor } from '../helpers/wait.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('experiment results on a route without an experiment, in Chromium', () => {
  let control: TestUpstream, fl: TestFieldlab, browser: Browser;

  beforeAll(async () => {
    control = await startUpstream('control', (_req, res) => res.end('v1'));
    fl = await startFieldlab(`
upstreams: { control: ${control.url} }
routes:
  - name: plain
    match: { path: /plain/* }
    arms: { control: control }
`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await fl?.close();
    await control?.close();
  });

  it('asks once per refresh, not every 2 s, while the answer is 404', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      const statuses: number[] = [];
      page.on('response', (r) => void (r.url().includes('/experiments.json') && statuses.push(r.status())));
      // The page's clock is ours, frozen until runFor (installed clocks otherwise tick with real time).
      const t0 = Date.now();
      await page.clock.install({ time: t0 });
      await page.clock.pauseAt(t0 + 100);
      await page.goto(`${fl.adminUrl}/?route=plain`);
      await waitFor(() => statuses.length >= 1, 20_000);
      expect(statuses[0]).toBe(404);
      // 5 × 2.2 s of page time (11 s, short of the 15 s refresh), each followed by real time for
      // a request it started to be answered (and for the page to schedule its next one).
      for (let i = 0; i < 5; i++) {
        await page.clock.runFor(2_200);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(statuses).toEqual([404]);
    } finally {
      await page.close();
    }
  });
});
