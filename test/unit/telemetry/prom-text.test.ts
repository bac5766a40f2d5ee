// Prometheus text rendering: escaping, value formatting, histogram buckets, the series cap.
import { describe, expect, it } from 'vitest';
import { CounterFamily, HistogramFamily } from '../../../src/telemetry/metric-registry.js';
import { assertMetricName, escapeHelp, escapeLabelValue, formatValue, renderFamily } from '../../../src/telemetry/prom-text.js';
import { histogram, parseExposition, value } from './exposition.js';

describe('prom text', () => {
  it('escapes label values and HELP text the way the format says', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('one\\two\nthree "quoted"')).toBe('one\\\\two\\nthree "quoted"');
  });

  it('formats special values Go-style', () => {
    expect([Infinity, -Infinity, NaN, 0, 1.5, 1e-7].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '0', '1.5', '1e-7']);
  });

  it('rejects names Prometheus would refuse', () => {
    expect(() => assertMetricName('fieldlab.requests')).toThrow(/invalid metric name/);
    expect(() => assertMetricName('ok_total', ['route-name'])).toThrow(/invalid label name/);
    expect(() => assertMetricName('ok_total', ['__reserved'])).toThrow(/invalid label name/);
    expect(() => new HistogramFamily('h_seconds', 'h', ['le'], [1])).toThrow(/reserved/);
  });

  it('renders a counter family whose awkward label values survive a round trip through a parser', () => {
    const c = new CounterFamily('fieldlab_requests_total', 'Requests\nby "route"', ['route', 'arm']);
    c.get(['checkout "v2"', 'control']).value += 3;
    c.get(['C:\\dir\nnext', 'variant']).value++;
    const text = c.render();
    expect(text).toContain('# HELP fieldlab_requests_total Requests\\nby "route"\n# TYPE fieldlab_requests_total counter\n');
    expect(text).toContain('fieldlab_requests_total{route="checkout \\"v2\\"",arm="control"} 3\n');
    const parsed = parseExposition(text);
    expect(parsed.get('fieldlab_requests_total')).toMatchObject({ type: 'counter', help: 'Requests\nby "route"' });
    expect(value(parsed, 'fieldlab_requests_total', { route: 'checkout "v2"', arm: 'control' })).toBe(3);
    expect(value(parsed, 'fieldlab_requests_total', { route: 'C:\\dir\nnext', arm: 'variant' })).toBe(1);
  });

  it('renders histograms as cumulative _bucket lines ending in le="+Inf", then _sum and _count', () => {
    const h = new HistogramFamily('fieldlab_request_duration_seconds', 'Latency', ['route'], [0.01, 0.1, 1]);
    const cell = h.get(['api']);
    for (const v of [0.005, 0.01, 0.05, 0.5, 3]) cell.observe(v);
    const text = h.render();
    expect(text.split('\n').filter((l) => l.startsWith('fieldlab_'))).toEqual([
      'fieldlab_request_duration_seconds_bucket{route="api",le="0.01"} 2',
      'fieldlab_request_duration_seconds_bucket{route="api",le="0.1"} 3',
      'fieldlab_request_duration_seconds_bucket{route="api",le="1"} 4',
      'fieldlab_request_duration_seconds_bucket{route="api",le="+Inf"} 5',
      'fieldlab_request_duration_seconds_sum{route="api"} 3.565',
      'fieldlab_request_duration_seconds_count{route="api"} 5',
    ]);
    expect(histogram(parseExposition(text), 'fieldlab_request_duration_seconds', { route: 'api' })).toEqual({
      buckets: { '0.01': 2, '0.1': 3, '1': 4, '+Inf': 5 },
      sum: 3.565,
      count: 5,
    });
  });

  it('renders an unlabelled histogram and plain families', () => {
    const h = new HistogramFamily('x_seconds', 'x', [], [1]);
    h.get([]).observe(2);
    const text = h.render() + renderFamily({ name: 'fieldlab_config_version', help: 'v', type: 'gauge', samples: [{ value: 7 }] });
    expect(text).toContain('x_seconds_bucket{le="1"} 0\nx_seconds_bucket{le="+Inf"} 1\nx_seconds_sum 2\nx_seconds_count 1\n');
    const parsed = parseExposition(text);
    expect(histogram(parsed, 'x_seconds')).toEqual({ buckets: { '1': 0, '+Inf': 1 }, sum: 2, count: 1 });
    expect(value(parsed, 'fieldlab_config_version')).toBe(7);
  });

  it('sends label sets past the cap to one "other" series', () => {
    const c = new CounterFamily('capped_total', 'c', ['route'], 2);
    for (const r of ['a', 'b', 'c', 'd']) c.get([r]).value++;
    const parsed = parseExposition(c.render());
    expect(parsed.get('capped_total')!.samples.map((m) => [m.labels.route, m.value])).toEqual([
      ['a', 1],
      ['b', 1],
      ['other', 2],
    ]);
  });

  it('the strict test parser refuses what the format forbids', () => {
    expect(() => parseExposition('x 1\n')).toThrow(/outside its family/);
    expect(() => parseExposition('# HELP x h\n# TYPE x counter\nx{a="unterminated} 1\n')).toThrow(/not a valid/);
    expect(() => parseExposition('# HELP x h\n# TYPE x counter\nx 1')).toThrow(/newline/);
    expect(() =>
      parseExposition('# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
    expect(() => parseExposition('# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n')).toThrow(/le sequence/);
  });
});
