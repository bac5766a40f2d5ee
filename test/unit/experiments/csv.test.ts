// CSV cells: RFC 4180 quoting and spreadsheet formula neutralization of text (unit keys come from clients).
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../../src/experiments/csv.js';

describe('csv', () => {
  it('quotes fields holding a comma, a quote, CR or LF and doubles quotes (RFC 4180 §2.6–2.7)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell('')).toBe('');
  });

  it('neutralizes text that a spreadsheet would run as a formula, and leaves numbers alone', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell(-2.5)).toBe('-2.5');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(null)).toBe('');
  });

  it('ends every record in CRLF', () => {
    expect(csvLine(['u,1', 'control', 3, null])).toBe('"u,1",control,3,\r\n');
  });
});
