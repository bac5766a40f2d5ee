// One scrape for the group: every sample labelled with its process, each family once, grouped.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { mergeMetrics } from '../../../src/cluster/metrics-merge.js';

const a = `# HELP fieldlab_requests_total Routed requests
# TYPE fieldlab_requests_total counter
fieldlab_requests_total{route="checkout",arm="control"} 3
# HELP fieldlab_request_duration_seconds Time
# TYPE fieldlab_request_duration_seconds histogram
fieldlab_request_duration_seconds_bucket{route="checkout",le="+Inf"} 3
fieldlab_request_duration_seconds_sum{route="checkout"} 0.5
fieldlab_request_duration_seconds_count{route="checkout"} 3
# HELP fieldlab_config_version Version
# TYPE fieldlab_config_version gauge
fieldlab_config_version 2
`;
const b = `# HELP fieldlab_requests_total Routed requests
# TYPE fieldlab_requests_total counter
fieldlab_requests_total{route="checkout",arm="control"} 4
# HELP fieldlab_config_version Version
# TYPE fieldlab_config_version gauge
fieldlab_config_version{} 2
`;

describe('mergeMetrics', () => {
  it('labels every sample with its worker and keeps each family together once', () => {
    const text = mergeMetrics([
      { worker: '1', text: a },
      { worker: '2', text: b },
    ]);
    expect(text.match(/# TYPE fieldlab_requests_total/g)).toHaveLength(1);
    expect(text).toContain('fieldlab_requests_total{worker="1",route="checkout",arm="control"} 3');
    expect(text).toContain('fieldlab_requests_total{worker="2",route="checkout",arm="control"} 4');
    expect(text).toContain('fieldlab_config_version{worker="1"} 2');
    expect(text).toContain('fieldlab_config_version{worker="2"} 2');
    // A strict parser reads it: families are contiguous and every line is well-formed.
    const families = parsePrometheusTextFormat(text);
    expect(families.map((f) => f.name)).toEqual([
      'fieldlab_requests_total',
      'fieldlab_request_duration_seconds',
      'fieldlab_config_version',
    ]);
    expect(families.find((f) => f.name === 'fieldlab_requests_total')!.metrics).toHaveLength(2);
  });

  it('leaves out the families `skip` names, for that process only', () => {
    const text = mergeMetrics(
      [
        { worker: 'primary', text: a },
        { worker: '1', text: b },
      ],
      (worker, family) => worker !== 'primary' && family === 'fieldlab_config_version',
    );
    expect(text).toContain('fieldlab_config_version{worker="primary"} 2');
    expect(text).not.toContain('fieldlab_config_version{worker="1"}');
    expect(text).toContain('fieldlab_requests_total{worker="1",route="checkout",arm="control"} 4');
  });
});
