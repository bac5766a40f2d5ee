/**
 * The shadow-diff data model shared by mirror (which captures), compare (which diffs) and storage
 * (which aggregates and reports). Plain data only, so it crosses every boundary unchanged.
 */
import type { CompareSkip } from '../mirror/skip-reasons.js';

/** One side of a mirrored exchange, as captured without delaying the client. */
export interface CapturedResponse {
  /** HTTP status, or 0 when the request failed before a response (see `error`). */
  readonly status: number;
  /** Registry code when the side failed (e.g. FL_UPSTREAM_TIMEOUT); undefined on a response. */
  readonly error?: string;
  /** Response headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Body bytes as received (still content-encoded), at most the capture cap. */
  readonly body: Buffer;
  /** True when the body was longer than the cap and `body` holds only its start. */
  readonly truncated: boolean;
  /** Total body bytes seen on the wire. */
  readonly bodyBytes: number;
  /** ms from dispatch to the end of the response (or the failure). */
  readonly latencyMs: number;
}

/** A primary response and the shadow (or noise-reference) response to the same request. */
export interface ComparePair {
  readonly route: string;
  /** Upstream name of the shadow (or of the noise reference). */
  readonly shadow: string;
  readonly method: string;
  /** Request path without query, e.g. /users/123 (templated later). */
  readonly path: string;
  /** The route's templated path when it has :params (e.g. /users/:id), else undefined. */
  readonly routeTemplate: string | undefined;
  readonly requestId: string;
  readonly traceId: string | undefined;
  /**
   * The span ids Fieldlab sent in `traceparent` for the primary call and for this copy, when the
   * trace is sampled: the services' spans below them are the two call trees (traces/).
   */
  readonly spans?: { readonly primary: string; readonly candidate: string };
  /** Epoch ms when the primary request arrived. */
  readonly at: number;
  readonly primary: CapturedResponse;
  readonly candidate: CapturedResponse;
}

/** What kind of difference a field shows. */
export type DiffKind =
  | 'status' // status code changed
  | 'added' // present in the shadow only
  | 'removed' // present in the primary only
  | 'type' // JSON type changed (number → string, object → null, …)
  | 'value' // same type, different value (beyond tolerance)
  | 'order' // same array elements, different order
  | 'length' // text/bytes length changed
  | 'content' // text lines or bytes digest changed
  | 'error' // one side failed (timeout, connect error)
  | 'same'; // compared and equal: storage counts these so every field has a denominator

/** One differing field of one pair. */
export interface FieldDiff {
  /**
   * Where: `status`, `header:NAME`, `body:$.cart.items[*].price` (array indices folded to [*] so
   * the same field in every element is one signature), `body:text`, `body:bytes`, `error`.
   */
  readonly field: string;
  readonly kind: DiffKind;
  /** Short renderings of both values for examples (JSON text, truncated). */
  readonly primary?: string;
  readonly candidate?: string;
}

/** The comparison of one pair. */
export interface PairDiff {
  /** Endpoint template, e.g. `GET /users/:id`. */
  readonly endpoint: string;
  readonly fields: readonly FieldDiff[];
  /** Fields compared (differing or not), so rates have a denominator per field. */
  readonly compared: readonly string[];
  readonly primaryStatus: number;
  readonly candidateStatus: number;
  /** candidate latency − primary latency, ms. */
  readonly latencyDeltaMs: number;
  /** Set when part of the pair (the body) could not be compared (a `compare`-stage skip reason). */
  readonly skipped?: CompareSkip;
}

/** Per-route compare settings, compiled from `shadow[].compare`. */
export interface CompareRules {
  /** Header names (lower-case) to ignore in addition to the defaults. */
  readonly ignoreHeaders: readonly string[];
  /** Body paths to ignore: `$.meta.ts`, `$.items[*].id`, `$.*.updatedAt` (`*` = any key or index). */
  readonly ignoreBody: readonly string[];
  /** Numbers within this relative tolerance are equal (0 = exact). */
  readonly numericTolerance: number;
  /** Most body bytes compared per side (after decoding). */
  readonly maxBody: number;
}
