/**
 * Webhook bodies per receiver (`guardrails.webhook.format`): `json` is Fieldlab's own message
 * (unchanged: `{"type":"fieldlab.decision", …}`); `slack` and `teams` wrap the same decision in what
 * their incoming webhooks accept — Slack `{text, blocks}`, Teams a Bot Framework message with an
 * Adaptive Card attachment (what Workflows webhooks and the classic Incoming Webhook both take).
 * Every format carries a `text` naming the action, route, arm, weights and reason, and a link to
 * the status.
 */

/** What a receiver gets. */
export type WebhookFormat = 'json' | 'slack' | 'teams';

/** The decision fields the chat formats read (a `decisionPayload`, already JSON-safe). */
interface DecisionFields {
  route?: unknown;
  arm?: unknown;
  action?: unknown;
  fromPercent?: unknown;
  toPercent?: unknown;
  rule?: unknown;
  reason?: unknown;
  severity?: unknown;
  actor?: unknown;
  note?: unknown;
  forced?: unknown;
  at?: unknown;
  fleet?: { seq?: unknown } | null;
}

// Slack caps a section's text at 3000 characters and a header at 150.
const MAX_REASON = 2500;

/**
 * The body for `format`; `link` is where the message points (dashboard or admin status).
 * @example webhookBody('slack', decisionPayload(d), 'https://fieldlab.example.com/status?route=checkout')
 */
export function webhookBody(format: WebhookFormat, payload: unknown, link: string | undefined): string {
  if (format === 'json' || !payload || typeof payload !== 'object') return JSON.stringify(payload);
  const d = payload as DecisionFields;
  return JSON.stringify(format === 'slack' ? slackBody(d, link) : teamsBody(d, link));
}

/**
 * One line for people: action, route/arm, weight change, reason, who, and the link.
 * @example decisionText(d, url) // 'Fieldlab rollback: checkout/variant 10% → 0% — variant bad-event rate … (rule sequential-ratio, by guardrails). Status: https://…'
 */
export function decisionText(d: DecisionFields, link: string | undefined): string {
  const by = d.actor ? `, by ${str(d.actor)}` : '';
  const forced = d.forced ? ', forced' : '';
  const note = d.note ? ` Note: ${str(d.note)}.` : '';
  return `${title(d)} ${weights(d)} — ${reasonOf(d)} (rule ${str(d.rule)}${by}${forced}).${note}${link ? ` Status: ${link}` : ''}`;
}

function slackBody(d: DecisionFields, link: string | undefined): unknown {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const text = `${esc(decisionText(d, undefined))}${link ? ` <${link}|Status>` : ''}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title(d).slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${esc(weights(d))}* — ${esc(reasonOf(d))}${d.note ? `\n>${esc(str(d.note))}` : ''}` },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: esc(context(d)) }] },
      ...(link ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open status' }, url: link }] }] : []),
    ],
  };
}

function teamsBody(d: DecisionFields, link: string | undefined): unknown {
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      {
        type: 'TextBlock',
        size: 'Medium',
        weight: 'Bolder',
        wrap: true,
        text: title(d),
        color: d.severity === 'error' ? 'Attention' : 'Default',
      },
      { type: 'TextBlock', wrap: true, text: reasonOf(d) },
      {
        type: 'FactSet',
        facts: [
          { title: 'Route', value: str(d.route) },
          { title: 'Arm', value: str(d.arm) },
          { title: 'Weight', value: weights(d) },
          { title: 'Rule', value: str(d.rule) },
          ...(d.actor ? [{ title: 'By', value: str(d.actor) }] : []),
          ...(d.note ? [{ title: 'Note', value: str(d.note) }] : []),
          { title: 'At', value: str(d.at) },
        ],
      },
    ],
    ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open status', url: link }] } : {}),
  };
  return {
    type: 'message',
    text: decisionText(d, link),
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

const str = (v: unknown): string => (v === undefined || v === null ? '-' : String(v));
const title = (d: DecisionFields) => `Fieldlab ${str(d.action)}: ${str(d.route)}/${str(d.arm)}`;
const weights = (d: DecisionFields) => `${str(d.fromPercent)}% → ${str(d.toPercent)}%`;
const reasonOf = (d: DecisionFields) => {
  const r = str(d.reason);
  return r.length > MAX_REASON ? `${r.slice(0, MAX_REASON)}…` : r;
};
const context = (d: DecisionFields) =>
  [
    `rule ${str(d.rule)}`,
    `severity ${str(d.severity)}`,
    d.actor ? `by ${str(d.actor)}` : '',
    d.fleet?.seq != null ? `fleet decision #${str(d.fleet.seq)}` : '',
    str(d.at),
  ]
    .filter(Boolean)
    .join(' · ');
