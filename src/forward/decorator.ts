/**
 * The base of our decorating handlers (capture, retry), after undici's DecoratorHandler: every
 * callback goes to `inner` unchanged; a subclass overrides only what it changes.
 */
import type { Dispatcher } from 'undici';

/** undici's parsed header object, as handlers receive it. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;
export type Controller = Dispatcher.DispatchController;
type Headers = ResponseHeaders;

/**
 * Passes every undici callback through to `inner`.
 * @example class Logging extends PassThroughHandler { override onResponseEnd(c, t) { log(); super.onResponseEnd(c, t) } }
 */
export class PassThroughHandler implements Dispatcher.DispatchHandler {
  protected readonly inner: Dispatcher.DispatchHandler;

  constructor(inner: Dispatcher.DispatchHandler) {
    this.inner = inner;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, status: number, headers: Headers, socket: never): void {
    this.inner.onRequestUpgrade?.(controller, status, headers as never, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Headers, statusMessage?: string): void {
    this.inner.onResponseStart?.(controller, status, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Headers): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.inner.onResponseError?.(controller, err);
  }
}
