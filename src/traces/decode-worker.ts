/**
 * The OTLP decoding thread: protobuf and JSON bodies are decoded here, not on the proxy's event
 * loop (a 4 MiB batch is ~35,000 spans, ~0.2 s of CPU: bench/traces.ts). Messages in:
 * `{ id, encoding, body }`; out: `{ id, result }` with the decoder's DecodeResult.
 */
import { parentPort } from 'node:worker_threads';
import { decodeJson, decodeProtobuf, type DecodeResult } from './otlp-decode.js';

/** A request to the thread. */
export interface DecodeRequest {
  readonly id: number;
  readonly encoding: 'protobuf' | 'json';
  readonly body: Uint8Array;
}

/** Its answer. */
export interface DecodeReply {
  readonly id: number;
  readonly result: DecodeResult;
}

parentPort?.on('message', (m: DecodeRequest) => {
  const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  let result: DecodeResult;
  try {
    result = m.encoding === 'protobuf' ? decodeProtobuf(body) : decodeJson(body);
  } catch (err) {
    result = { ok: false, reason: (err as Error).message };
  }
  parentPort!.postMessage({ id: m.id, result } satisfies DecodeReply);
});
