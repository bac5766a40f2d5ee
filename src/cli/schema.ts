/**
 * `fieldlab schema`: prints the config's JSON Schema, for editors and for regenerating
 * config/fieldlab.schema.json.
 */
import { configJsonSchema } from '../config/json-schema.js';
import { type CommandSpec, readFlags } from './flags.js';

/** What a CLI command may touch; `out` and `err` write one line each. */
export interface SchemaIo {
  out(line: string): void;
  err(line: string): void;
}

/** `fieldlab schema`: no flags. */
export const SCHEMA: CommandSpec = {
  name: 'schema',
  summary: "print the config's JSON Schema (fieldlab schema > config/fieldlab.schema.json)",
  flags: {},
};

/**
 * Prints the JSON Schema as 2-space JSON. Takes no arguments.
 * @example runSchema([], { out: console.log, err: console.error }) // 0
 */
export function runSchema(args: string[], io: SchemaIo): number {
  const parsed = readFlags(SCHEMA, args, io);
  if (typeof parsed === 'number') return parsed;
  io.out(JSON.stringify(configJsonSchema(), null, 2));
  return 0;
}
