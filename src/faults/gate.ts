/**
 * One undici controller shared by two parties that may each want the upstream paused: the forward
 * handler (its client is not reading, forward-handler.ts) and a response fault (a held head, a
 * throttled body). The real controller is paused while either wants it and resumed only when
 * neither does, so a throttle's resume never overrides a slow client's pause, nor the reverse.
 */
import type { Dispatcher } from 'undici';

/** The controller handed to the inner handler; `hold` is the fault's own pause. */
export class GatedController implements Dispatcher.DispatchController {
  readonly #real: Dispatcher.DispatchController;
  /** The inner handler paused (its client's buffer is full). */
  #innerPaused = false;
  #held = false;

  constructor(real: Dispatcher.DispatchController) {
    this.#real = real;
  }

  get aborted(): boolean {
    return this.#real.aborted;
  }

  get paused(): boolean {
    return this.#innerPaused;
  }

  get reason(): Error | null {
    return this.#real.reason;
  }

  /** Whether the inner handler wants the upstream paused (the fault then stops feeding it too). */
  get innerPaused(): boolean {
    return this.#innerPaused;
  }

  abort(reason: Error): void {
    this.#real.abort(reason);
  }

  pause(): void {
    this.#innerPaused = true;
    this.#real.pause();
  }

  resume(): void {
    this.#innerPaused = false;
    if (!this.#held) this.#real.resume();
  }

  /**
   * The fault's pause (true) or its release (false).
   * @example gate.hold(true) // no more upstream data until gate.hold(false)
   */
  hold(on: boolean): void {
    if (on === this.#held) return;
    this.#held = on;
    if (on) this.#real.pause();
    else if (!this.#innerPaused) this.#real.resume();
  }
}
