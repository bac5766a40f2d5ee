/**
 * Who this process is in the fleet. `replica` is the name people read (`FIELDLAB_REPLICA_ID`, e.g.
 * the pod name, or host-pid); `instance` adds a random suffix so a restarted replica with the same
 * name is a new lease holder: a zombie of the old process can never pass the fence as the new one.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** This process. */
export interface ReplicaIdentity {
  readonly replica: string;
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
}

/**
 * @example replicaIdentity({ FIELDLAB_REPLICA_ID: 'edge-0' }).replica // "edge-0"
 */
export function replicaIdentity(env: Record<string, string | undefined> = process.env): ReplicaIdentity {
  const host = hostname();
  const replica = env.FIELDLAB_REPLICA_ID?.trim() || `${host}-${process.pid}`;
  return { replica, instance: `${replica}#${randomBytes(4).toString('hex')}`, host, pid: process.pid };
}
