// Webhook bodies per receiver, against a real loopback receiver: Slack {text, blocks} and Teams
// (an Adaptive Card message) carry a text with action, route, arm, reason and a status link; the
// default JSON is unchanged but rounded; a running Fieldlab links to its own admin /status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createWebhookNotifier, type WebhookTarget } from '../../src/guardrails/notify-webhook.js';
import { startFieldlab, startUpstream, type TestUpstream } from '../helpers/servers.js';

type Body = Record<string, any>;

describe('webhook formats', () => {
  let receiver: TestUpstream;
  const got: { body: Body; type: string | undefined }[] = [];
  beforeAll(async () => {
    receiver = await startUpstream('hook', (req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        got.push({ body: JSON.parse(text) as Body, type: req.headers['content-type'] });
        res.end('ok');
      });
    });
  });
  afterAll(() => receiver.close());

  const decision = {
    type: 'fieldlab.decision',
    route: 'checkout',
    arm: 'variant',
    action: 'rollback',
    fromPercent: 10,
    toPercent: 0,
    rule: 'sequential-ratio',
    reason: 'variant bad-event rate 4.1% vs control 0.2% <proof> & more',
    severity: 'error',
    at: Date.UTC(2026, 11, 2, 3, 4, 5),
    actor: 'guardrails',
    evidence: { budget: 1 - 0.99 },
  };
  const send = async (target: Partial<WebhookTarget>, adminUrl?: string): Promise<Body> => {
    got.length = 0;
    const n = createWebhookNotifier({ adminUrl: () => adminUrl });
    n.notify({ url: receiver.url, timeout: 2000, retries: 0, ...target }, decision);
    await n.idle();
    expect(got).toHaveLength(1);
    expect(got[0]!.type).toBe('application/json');
    return got[0]!.body;
  };

  it('keeps the generic JSON, with ISO times and no float noise', async () => {
    const body = await send({});
    expect(body).toMatchObject({
      type: 'fieldlab.decision',
      route: 'checkout',
      at: '2026-12-02T03:04:05.000Z',
      evidence: { budget: 0.01 },
    });
  });

  it('sends Slack {text, blocks} with the decision and a link to the configured dashboard', async () => {
    const body = await send({ format: 'slack', dashboardUrl: 'https://grafana.example.com/d/fieldlab?var-route={route}' });
    const link = 'https://grafana.example.com/d/fieldlab?var-route=checkout';
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toContain('Fieldlab rollback: checkout/variant 10% → 0%');
    expect(body.text).toContain('variant bad-event rate 4.1% vs control 0.2% &lt;proof&gt; &amp; more');
    expect(body.text).toContain(`<${link}|Status>`);
    expect(body.blocks.map((b: Body) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(body.blocks[0].text).toEqual({ type: 'plain_text', text: 'Fieldlab rollback: checkout/variant' });
    expect(body.blocks[1].text.type).toBe('mrkdwn');
    expect(body.blocks[3].elements[0]).toMatchObject({ type: 'button', url: link });
  });

  it('sends Teams an Adaptive Card message whose text has action, route, arm, reason and the admin status link', async () => {
    const body = await send({ format: 'teams' }, 'http://127.0.0.1:9901');
    const link = 'http://127.0.0.1:9901/status?route=checkout';
    expect(body.type).toBe('message');
    expect(body.text).toMatch(/^Fieldlab rollback: checkout\/variant 10% → 0% — variant bad-event rate .* <proof> & more/);
    expect(body.text).toContain(`Status: ${link}`);
    expect(body.attachments).toHaveLength(1);
    const { contentType, content } = body.attachments[0];
    expect(contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', actions: [{ type: 'Action.OpenUrl', url: link }] });
    expect(content.body.map((b: Body) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(content.body[2].facts).toContainEqual({ title: 'Arm', value: 'variant' });
    expect(content.body[2].facts).toContainEqual({ title: 'At', value: '2026-12-02T03:04:05.000Z' });
  });

  it("links a running Fieldlab's decisions to its own admin /status", async () => {
    got.length = 0;
    const up = await startUpstream('app');
    const fl = await startFieldlab(`
upstreams: { a: ${up.url} }
routes:
  - name: shop
    arms: { control: a, variant: a }
    split: { variant: 10 }
    guardrails: { webhook: { url: ${receiver.url}, format: slack, retries: 0 } }
`);
    try {
      const res = await request(`${fl.adminUrl}/routes/shop/rollback?reason=drill`, {
        method: 'POST',
        headers: { 'x-fieldlab-actor': 'sre' },
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toHaveLength(1);
      const body = got[0]!.body;
      expect(body.text).toContain('Fieldlab manual-rollback: shop/variant 10% → 0%');
      expect(body.text).toContain('by sre');
      expect(body.blocks.at(-1).elements[0].url).toBe(`${fl.adminUrl}/status?route=shop`);
    } finally {
      await fl.close();
      await up.close();
    }
  });
});
