/**
 * `fieldlab schema`: prints the config's JSON Schema, for editors and for regenerating
 * config/fieldlab.schema.json.
 */
import { configJsonSchema } from '../config/json-schema.js';

/** What a CLI command may touch; `out` and `err` write one line each. */
export interface SchemaIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Prints the JSON Schema as 2-space JSON. Takes no arguments.
 * @example runSchema([], { out: console.log, err: console.error }) // 0
 */
export function runSchema(args: string[], io: SchemaIo): number {
  if (args.length > 0) {
    io.err('usage: fieldlab schema   (prints the config JSON Schema; takes no arguments)');
    return 2;
  }
  io.out(JSON.stringify(configJsonSchema(), null, 2));
  return 0;
}
