import { describe, expect, it } from 'vitest';
import { redact } from '../../../src/admin/redact.js';

describe('redact', () => {
  it('hides secret-looking keys and URL passwords, leaves the rest', () => {
    expect(redact({ admin: { token: 't', listen: 'x' }, hooks: ['https://u:pw@h/p'], n: 1, empty: { token: '' } })).toEqual({
      admin: { token: '***', listen: 'x' },
      hooks: ['https://u:***@h/p'],
      n: 1,
      empty: { token: '' },
    });
  });
});
