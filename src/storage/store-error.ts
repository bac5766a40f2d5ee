/**
 * Store failures as values the admin API can answer with a code: a rejected store promise carries
 * the registry code (`FL_STORE_BUSY` when the worker's queue was full, else `FL_STORE_UNAVAILABLE`).
 */
import { FL_STORE_BUSY, FL_STORE_UNAVAILABLE, type FieldlabErrorDef } from '../errors.js';

/** An Error with a registry code. */
export interface StoreError extends Error {
  readonly code: string;
}

/**
 * Makes a coded store error.
 * @example throw storeError(FL_STORE_BUSY, 'store queue full (1024 waiting)')
 */
export function storeError(def: FieldlabErrorDef, detail?: string): StoreError {
  return Object.assign(new Error(detail ?? def.message), { code: def.code });
}

/**
 * The registry entry for a store rejection: FL_STORE_BUSY for a full queue, FL_STORE_UNAVAILABLE for anything else.
 * @example sendLocalReply(res, storeErrorDef(err), undefined, String(err))
 */
export function storeErrorDef(err: unknown): FieldlabErrorDef {
  return (err as { code?: unknown } | null)?.code === FL_STORE_BUSY.code ? FL_STORE_BUSY : FL_STORE_UNAVAILABLE;
}
