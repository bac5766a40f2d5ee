/**
 * Response faults (`fault.response`): the request is forwarded at once and the upstream answers;
 * the client gets that answer late (`firstByte`: the head, and so every byte, held for a drawn
 * delay) or slowly (`throttle`: the body sent at most `rate` bytes/s). An undici decorator around
 * the forward handler, like the shadow capture, so forwarding knows nothing of it.
 *
 * Backpressure stays the upstream's: while a head is held or a body is over its budget the upstream
 * is paused (gate.ts), so at most the one chunk undici had already parsed waits here, never a body.
 * A client that goes away aborts the upstream as always (the forward handler's abort reaches us as
 * an error; we drop what waits). The kill switch releases at once: what waits goes out, and the
 * rest of the exchange passes through at full speed. The fault counts against maxActive until its
 * exchange ends or the switch releases it.
 */
import type { Dispatcher } from 'undici';
import { PassThroughHandler, type ResponseHeaders } from '../forward/decorator.js';
import type { ForwardExtras, HandlerDecorator } from '../forward/forward-types.js';
import { endFault, onFaultsOff } from './control.js';
import type { ResponseFaultDecision } from './decide.js';
import { GatedController } from './gate.js';

/** How often a throttled body is topped up; its bucket holds two ticks' worth, so no burst beyond it. */
const TICK_MS = 50;

/**
 * The decorator for one admitted response fault on `route`.
 * @example withTap(extras, responseFault('checkout', { kind: 'throttle', bytesPerSec: 65536 }))
 */
export function responseFault(route: string, d: ResponseFaultDecision): HandlerDecorator {
  return { wrap: (inner) => new ResponseFaultHandler(inner, route, d) };
}

/**
 * Adds the response fault innermost (next to the forward handler), so a shadow's capture and the
 * goal and record taps still see the upstream's own timing.
 * @example forward(req, res, p, limits, exchange, withResponseFault(extras, 'checkout', p.fault))
 */
export function withResponseFault(extras: ForwardExtras | undefined, route: string, d: ResponseFaultDecision): ForwardExtras {
  const fault = responseFault(route, d);
  const outer = extras?.decorator;
  return {
    ...extras,
    decorator: outer ? { wrap: (h) => outer.wrap(fault.wrap(h)) } : fault,
  };
}

class ResponseFaultHandler extends PassThroughHandler {
  readonly #route: string;
  readonly #d: ResponseFaultDecision;
  readonly #unregister: () => void;
  #gate: GatedController | undefined;
  /** Switched off, or the exchange ended: everything passes straight through. */
  #released = false;
  /** firstByte: calls held until the delay is over (the head, then at most one chunk, maybe the end). */
  #held: (() => void)[] | undefined;
  /** throttle: bytes waiting for budget, the budget, and the end that comes after them. */
  #waiting: Buffer[] = [];
  #tokens: number;
  #lastTick: number | undefined;
  #end: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The end or an error reached the inner handler: never resume the upstream after it. */
  #over = false;

  constructor(inner: Dispatcher.DispatchHandler, route: string, d: ResponseFaultDecision) {
    super(inner);
    this.#route = route;
    this.#d = d;
    // One tick's worth to start with: the first bytes go out at once.
    this.#tokens = d.kind === 'throttle' ? this.#capacity() / 2 : 0;
    this.#unregister = onFaultsOff(() => this.#release());
  }

  override onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: ResponseHeaders, msg?: string): void {
    if (this.#released || (status < 200 && this.#d.kind === 'throttle')) return super.onResponseStart(controller, status, headers, msg);
    // The first byte is the first answer, a 1xx included; the hold starts when it arrives. A 1xx is
    // queued without pausing (undici must not be paused while it waits for the final head), and
    // the forward handler starts its 1xx headers deadline only once it sees it, after the hold.
    if (this.#d.kind === 'first-byte' && !this.#held) {
      this.#held = [];
      this.#timer = setTimeout(() => this.#release(), this.#d.ms);
    }
    if (status < 200) return void this.#held!.push(() => this.inner.onResponseStart?.(controller, status, headers, msg));
    const gate = (this.#gate = new GatedController(controller));
    if (this.#d.kind === 'throttle') return this.inner.onResponseStart?.(gate, status, headers, msg);
    this.#held!.push(() => this.inner.onResponseStart?.(gate, status, headers, msg));
    gate.hold(true);
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const gate = this.#gate ?? controller;
    if (this.#held) return void this.#held.push(() => this.inner.onResponseData?.(gate, chunk));
    if (this.#released || !this.#gate) return this.inner.onResponseData?.(gate, chunk);
    this.#waiting.push(chunk);
    this.#gate.hold(true);
    if (!this.#timer) this.#pump();
  }

  override onResponseEnd(controller: Dispatcher.DispatchController, trailers: ResponseHeaders): void {
    const gate = this.#gate ?? controller;
    const end = () => {
      this.#over = true;
      this.inner.onResponseEnd?.(gate, trailers);
    };
    if (this.#held) return void this.#held.push(end);
    if (this.#waiting.length > 0 && !this.#released) {
      this.#end = end;
      return;
    }
    this.#done();
    end();
  }

  override onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    // The client left, the upstream broke, or the proxy cut: nothing that waits is sent.
    this.#held = undefined;
    this.#waiting = [];
    this.#end = undefined;
    this.#over = true;
    this.#done();
    this.inner.onResponseError?.(this.#gate ?? controller, err);
  }

  /** Sends what the budget allows, then waits a tick; resumes the upstream once nothing waits. */
  #pump(): void {
    this.#timer = undefined;
    const gate = this.#gate!;
    const now = performance.now();
    if (this.#lastTick !== undefined)
      this.#tokens = Math.min(this.#capacity(), this.#tokens + ((now - this.#lastTick) * this.#rate()) / 1000);
    this.#lastTick = now;
    // A client that is not reading gets nothing more from us either; the forward handler's stall checks still apply.
    while (this.#waiting.length > 0 && this.#tokens >= 1 && !gate.innerPaused && !this.#released) {
      const head = this.#waiting[0]!;
      const n = Math.min(head.length, Math.floor(this.#tokens));
      this.#tokens -= n;
      if (n === head.length) this.#waiting.shift();
      else this.#waiting[0] = head.subarray(n);
      this.inner.onResponseData?.(gate, n === head.length ? head : head.subarray(0, n));
    }
    if (this.#released) return;
    if (this.#waiting.length > 0) {
      this.#timer = setTimeout(() => this.#pump(), TICK_MS);
      return;
    }
    const end = this.#end;
    if (end) {
      this.#end = undefined;
      this.#done();
      return end();
    }
    gate.hold(false);
  }

  #rate(): number {
    return this.#d.kind === 'throttle' ? this.#d.bytesPerSec : 0;
  }

  /** Two ticks' worth of bytes (a late timer does not lose budget), at least one. */
  #capacity(): number {
    return Math.max(1, (2 * this.#rate() * TICK_MS) / 1000);
  }

  /** The delay is over or the switch went off: what waits goes out now, the rest passes through. */
  #release(): void {
    if (this.#released) return;
    this.#done();
    const held = this.#held;
    this.#held = undefined;
    for (const call of held ?? []) call();
    const gate = this.#gate;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const chunk of waiting) this.inner.onResponseData?.(gate!, chunk);
    const end = this.#end;
    this.#end = undefined;
    if (end) return end();
    if (!this.#over) gate?.hold(false);
  }

  /** The fault is over (once): it stops counting against maxActive and no longer hears the switch. */
  #done(): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unregister();
    endFault(this.#route);
  }
}
