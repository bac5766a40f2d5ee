// Webhook body shapes without a network: the generic JSON is the payload untouched, chat formats
// name action, route, arm, weights, reason and actor, and a missing link leaves no dangling button.
import { describe, expect, it } from 'vitest';
import { decisionText, webhookBody } from '../../../src/guardrails/webhook-format.js';

const d = {
  type: 'fieldlab.decision',
  route: 'checkout',
  arm: 'v2',
  action: 'manual-rollback',
  fromPercent: 25,
  toPercent: 0,
  rule: 'manual',
  reason: 'x'.repeat(3000),
  severity: 'warn',
  actor: 'cli:alice',
  note: 'drill',
  forced: true,
  at: '2026-12-02T03:04:05.000Z',
  fleet: { seq: 7 },
};

describe('webhook formats', () => {
  it('keeps the generic JSON as it is', () => {
    expect(JSON.parse(webhookBody('json', d, 'http://x/status'))).toEqual(d);
  });

  it('writes one text line with everything an on-call reader needs', () => {
    const text = decisionText({ ...d, reason: 'variant 4.1% vs control 0.2%' }, 'http://x/status?route=checkout');
    expect(text).toBe(
      'Fieldlab manual-rollback: checkout/v2 25% → 0% — variant 4.1% vs control 0.2% (rule manual, by cli:alice, forced). Note: drill. Status: http://x/status?route=checkout',
    );
  });

  it('caps the reason for Slack and leaves the button out without a link', () => {
    const slack = JSON.parse(webhookBody('slack', d, undefined)) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(slack.blocks[1]!.text!.text.length).toBeLessThan(3000);
    expect(slack.blocks[2]).toMatchObject({ elements: [{ text: expect.stringContaining('fleet decision #7') }] });
    expect(slack.text).not.toContain('Status');
  });

  it('gives Teams no actions without a link', () => {
    const teams = JSON.parse(webhookBody('teams', d, undefined)) as { attachments: { content: Record<string, unknown> }[] };
    expect(teams.attachments[0]!.content.actions).toBeUndefined();
  });
});
