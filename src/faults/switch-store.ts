/**
 * The kill switch kept in the store, so a restart during an incident does not turn faults back on.
 * It is one row of the guardrail state table under a key no route can have (route names have no
 * ":"), written on every switch and read before the proxy listens.
 */
import { setFaultsEnabled } from './control.js';

/** The state row's key: not a valid route name, so no engine ever loads it. */
export const FAULT_SWITCH_KEY = 'fault:switch';

/**
 * Applies a stored switch (from `loadStates()`); anything but `{ enabled: false }` leaves faults on.
 * @example restoreFaultSwitch(await store.loadStates()) // true: faults were off, and are off again
 */
export function restoreFaultSwitch(states: ReadonlyMap<string, unknown>): boolean {
  const s = states.get(FAULT_SWITCH_KEY) as { enabled?: unknown } | undefined;
  if (s?.enabled !== false) return false;
  setFaultsEnabled(false);
  return true;
}
