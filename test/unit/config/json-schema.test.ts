// The JSON Schema shipped for editors must be exactly what ConfigSchema generates today.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { configJsonSchema } from '../../../src/config/json-schema.js';

const COMMITTED = new URL('../../../config/fieldlab.schema.json', import.meta.url);
const REGENERATE = 'npm run build && node dist/src/cli/main.js schema > config/fieldlab.schema.json';

describe('configJsonSchema', () => {
  it('matches the committed config/fieldlab.schema.json', () => {
    const generated = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    const committed = readFileSync(COMMITTED, 'utf8');
    expect(committed, `config/fieldlab.schema.json is stale; regenerate it with:\n  ${REGENERATE}\n`).toBe(generated);
  });

  it('is titled, draft 2020-12, and describes input (units as written, defaults shown)', () => {
    const schema = configJsonSchema() as { $schema: string; title: string; properties: Record<string, Record<string, unknown>> };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('Fieldlab config');
    expect(schema.properties.drainTimeout).toMatchObject({ default: '30s', type: ['string', 'number'] });
    expect(schema.properties.routes).toMatchObject({ type: 'array' });
  });

  it('accepts every upstream form the loader accepts (string, list, object)', () => {
    const schema = configJsonSchema() as { properties: { upstreams: { additionalProperties: { anyOf: { type: string }[] } } } };
    expect(schema.properties.upstreams.additionalProperties.anyOf.map((s) => s.type)).toEqual(['string', 'array', 'object']);
  });

  it('accepts lower-case methods, which the loader upper-cases', () => {
    const methods = { items: { enum: expect.arrayContaining(['GET', 'get', 'DELETE', 'delete']) } };
    expect(configJsonSchema()).toMatchObject({
      properties: { routes: { items: { properties: { match: { properties: { methods } } } } } },
    });
  });
});
