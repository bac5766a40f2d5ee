/**
 * The seam between the fleet and the guardrails runtime, kept small so either side can change
 * behind it: the fleet takes the process's local evidence, feeds evidence (the fleet's sum, or the
 * local seconds while cut off from the database) into a route's engine, asks it to decide, and
 * makes every replica adopt the decider's state. guardrails/runtime.ts provides the engine side;
 * fleet/runtime-adapter.ts puts the two together.
 */
import type { WebhookTarget } from '../guardrails/notify-webhook.js';
import type { Decision } from '../guardrails/types.js';
import type { EvidenceSecond } from './evidence-log.js';

/** How one kind of per-arm statistics adds up across processes. */
export interface EvidenceKind<S> {
  /** The sum of two processes' seconds (a new value; inputs untouched). */
  merge(a: S, b: S): S;
  /** Whether a value read back from the database has the right shape (it came from another process). */
  valid(x: unknown): x is S;
}

/** What the fleet drives. */
export interface FleetRuntime<S> {
  readonly kind: EvidenceKind<S>;
  /** Routes with an engine now. */
  routes(): readonly string[];
  /** This process's completed seconds before `sec` (epoch seconds), every route; forgotten once returned. */
  drain(sec: number): EvidenceSecond<S>[];
  /** Adds one second of evidence to the route's engine. */
  feed(route: string, sec: number, arms: Record<string, S>): void;
  /** Lets the route's engine decide at `at`; its state moves, nothing is applied or announced yet. */
  evaluate(route: string, at: number): Decision[];
  /** Applies decisions this process made: weights, log line, decision log (not the webhook). */
  apply(route: string, decisions: readonly Decision[]): void;
  /** The route's engine state (JSON); undefined for a route without an engine. */
  state(route: string): unknown;
  /** Replaces the route's engine state (a fleet decision, a checkpoint) and applies its weights at once. */
  adopt(route: string, state: unknown): void;
  /** Variant → percent the route routes now. */
  weights(route: string): Record<string, number>;
  /** The route's webhook, if any. */
  webhook(route: string): WebhookTarget | undefined;
}
