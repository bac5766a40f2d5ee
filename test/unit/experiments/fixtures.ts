/**
 * Experiment test fixtures: a compiled snapshot from YAML (real schema, real compile; pools are
 * lazy and closed by `close`), and ExchangeInfo values as the ingress builds them.
 */
import { compileSnapshot, type Snapshot } from '../../../src/config/compile.js';
import { loadConfigText } from '../../../src/config/load.js';
import { createPoolRegistry } from '../../../src/forward/pools.js';
import type { ExchangeInfo } from '../../../src/telemetry/hooks.js';

/** A product route with a 50/50 experiment and a goal on the checkout route. */
export const EXPERIMENT_YAML = `
upstreams: { a: "http://127.0.0.1:9", b: "http://127.0.0.1:10" }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    experiment:
      minDuration: 1h
      minUnits: 2
      window: 10m
      correction: none        # worked examples at α = 0.05 per comparison (analysis.test.ts covers bonferroni)
      goals:
        - { name: checkout, kind: conversion, route: checkout, match: { method: POST, path: /api/checkout } }
        - { name: views, kind: count, match: { method: GET, path: /product/:id } }
  - name: checkout
    match: { path: /api/* }
    arms: { control: a }
`;

/**
 * Loads and compiles `yaml`.
 * @example const { snap, close } = snapshotOf(EXPERIMENT_YAML)
 */
export function snapshotOf(yaml: string): { snap: Snapshot; close: () => Promise<void> } {
  const loaded = loadConfigText(yaml, 'test.yaml', {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const pools = createPoolRegistry();
  const shadows = createPoolRegistry();
  const snap = compileSnapshot(loaded.config, loaded.text, 'test.yaml', 1, pools, shadows);
  return { snap, close: async () => void (await Promise.all([pools.closeAll(true), shadows.closeAll(true)])) };
}

/**
 * An exchange on `route` as the ingress describes it.
 * @example info(snap, 'product', { key: 'u1', arm: 'variant', method: 'GET', target: '/product/7' })
 */
export function info(
  snap: Snapshot,
  route: string,
  o: {
    key: string;
    arm?: string;
    method?: string;
    target?: string;
    headers?: Record<string, string>;
    at?: number;
    forced?: boolean;
    excluded?: 'targeting' | 'layer';
  },
): ExchangeInfo {
  const r = snap.routes.find((x) => x.name === route)!;
  const arm = o.arm ?? 'control';
  return {
    route: r,
    armIndex: r.armIndex.get(arm)!,
    arm,
    upstream: r.arms[r.armIndex.get(arm)!]!.upstream.name,
    endpoint: 'http://127.0.0.1:9',
    requestId: `rid-${o.key}`,
    key: o.key,
    forced: o.forced ?? false,
    excluded: o.excluded,
    share: 0.5,
    method: o.method ?? 'GET',
    target: o.target ?? '/product/1',
    headers: o.headers ?? {},
    clientIp: '10.0.0.1',
    startedAt: 0,
    startedAtEpoch: o.at ?? 1_700_000_040_000,
  };
}
