/**
 * The `traces:` section: Fieldlab's own OTLP/HTTP receiver, where the services behind it send their
 * spans so the trees below a primary call and its shadow copy can be compared. Omit it and nothing
 * listens, nothing is held, nothing costs.
 */
import { z } from 'zod';
import { Duration, Listen, Size } from './schema-primitives.js';

/** `traces:` */
export const Traces = z
  .strictObject({
    listen: Listen.describe('Where the OTLP/HTTP receiver listens (POST /v1/traces, protobuf or JSON)'),
    forward: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Pass-through: every accepted batch is forwarded unchanged to this OTLP/HTTP traces URL (your collector)'),
    maxBody: Size.prefault('4MiB').describe('Largest OTLP request body, compressed or not (413 FL_OTLP_TOO_LARGE beyond)'),
    maxSpansPerTrace: z.number().int().positive().prefault(1000).describe('Spans kept per trace; the rest are dropped and counted'),
    maxTraces: z
      .number()
      .int()
      .positive()
      .prefault(10_000)
      .describe('Traces held at once while their pairs wait; the oldest is dropped and counted beyond'),
    maxSpans: z
      .number()
      .int()
      .positive()
      .prefault(1_000_000)
      .describe('Spans held across all traces (≈ 200 bytes each); beyond, the oldest trace is dropped and counted'),
    maxPending: z
      .number()
      .int()
      .positive()
      .prefault(5000)
      .describe('Mirrored pairs, and arm requests, waiting for their spans at once; beyond, new ones are dropped and counted'),
    profileOps: z
      .number()
      .int()
      .positive()
      .prefault(64)
      .describe("Operations tracked per route in the arms' dependency profiles; spans of further ones are counted, not profiled"),
    wait: Duration.prefault('30s').describe('How long a mirrored pair waits for its spans before it is diffed with what came'),
  })
  .describe('OTLP/HTTP receiver for span-tree diffs of mirrored pairs; omit to disable (no cost)');

/** The validated `traces:` section. */
export type RawTraces = z.output<typeof Traces>;
