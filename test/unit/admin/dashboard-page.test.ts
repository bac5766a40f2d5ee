// The dashboard page's frame: data travels as JSON that no string can break out of, and the route
// view links and labels its route without ever splicing raw text into markup.
import { describe, expect, it } from 'vitest';
import type { DashboardModel } from '../../../src/admin/dashboard-model.js';
import { renderDashboard, scriptJson } from '../../../src/admin/dashboard-page.js';

const assets = { js: '/dashboard/dashboard.js?v=1', css: '/dashboard/dashboard.css?v=1' };
const evil = '</script><script>alert(1)</script>\u2028&';
const model: DashboardModel = {
  version: 3,
  alarms: [{ kind: 'reload-error', says: evil }],
  routes: [
    {
      name: 'checkout',
      guarded: true,
      arms: [{ name: 'control', percent: 100, upstream: 'shop', endpoints: 1, ejected: 0 }],
      variants: [],
      exemplars: [],
      lastDecision: {
        at: 1,
        route: 'checkout',
        arm: 'v2',
        action: 'manual-rollback',
        fromPercent: 10,
        toPercent: 0,
        reason: evil,
        actor: '"><img>',
      },
      alarms: [],
    },
  ],
};

describe('dashboard page', () => {
  it('embeds the model as JSON that round-trips and cannot close its script element', () => {
    const text = scriptJson({ reason: evil });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ reason: evil });
  });

  it('renders the overview with the boot data escaped and same-origin assets only', () => {
    const page = renderDashboard(model, { route: undefined, needsToken: false, assets });
    expect(page.match(/<script/g)?.length).toBe(2);
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img>');
    const boot = /<script type="application\/json" id="fl-boot">(.*?)<\/script>/s.exec(page)![1]!;
    expect(JSON.parse(boot)).toEqual({ route: null, needsToken: false, model });
    expect(page).toContain('<script src="/dashboard/dashboard.js?v=1"></script>');
    expect(page).toContain('<table id="routes"');
    expect(page).not.toContain('id="actions"');
  });

  it('renders one route with its links and actions; the token field only when tokens are configured', () => {
    const open = renderDashboard(model, { route: 'checkout', needsToken: false, assets });
    expect(open).toContain('<h2 id="route-name">checkout</h2>');
    expect(open).toContain('href="/diffs?route=checkout"');
    for (const a of ['rollback', 'pause', 'resume', 'promote']) expect(open).toContain(`data-action="${a}"`);
    expect(open).toContain('<dialog id="confirm">');
    expect(open).not.toContain('id="confirm-token"');
    expect(renderDashboard(model, { route: 'checkout', needsToken: true, assets })).toContain('id="confirm-token"');
  });
});
