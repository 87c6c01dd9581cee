import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../../test/support/prometheus-text.ts';
import { ExpositionText } from './exposition.ts';
import { FixedHistogram } from './histogram.ts';

describe('the exposition text', () => {
  it('writes HELP and TYPE before samples, escapes label values, and reads back strictly', () => {
    const histogram = new FixedHistogram([0.001, 0.01, 0.1]);
    for (const value of [0.0005, 0.001, 0.002, 0.05, 3]) histogram.observe(value);
    const text = new ExpositionText()
      .family('demo_requests_total', 'counter', 'Requests.\nBy path.')
      .sample('demo_requests_total', 3, { path: 'a"b\\c\nd' })
      .histogram('demo_latency_seconds', 'Latency.', histogram)
      .toString();
    expect(text).toContain(
      '# HELP demo_requests_total Requests.\\nBy path.\n# TYPE demo_requests_total counter\n',
    );
    expect(text).toContain('demo_requests_total{path="a\\"b\\\\c\\nd"} 3\n');
    const families = parseExposition(text);
    expect(sampleValue(families, 'demo_requests_total', { path: 'a"b\\c\nd' })).toBe(3);
    // Cumulative: le=0.001 holds 0.0005 and 0.001 (a bound is inclusive); +Inf holds all five.
    expect(families.get('demo_latency_seconds')?.samples.map((sample) => sample.value)).toEqual([
      2, 3, 4, 5, 3.0535, 5,
    ]);
    expect(sampleValue(families, 'demo_latency_seconds_bucket', { le: '+Inf' })).toBe(5);
  });

  it('refuses bounds that do not ascend', () => {
    expect(() => new FixedHistogram([0.1, 0.1])).toThrow('ascend');
  });
});

describe('the strict reader (the tests trust it, so it must refuse what Prometheus would)', () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total 1\n';
  it.each([
    ['no final line feed', good.slice(0, -1), 'line feed'],
    ['a sample before its TYPE', 'a_total 1\n# TYPE a_total counter\n', 'no TYPE'],
    ['a counter without _total', '# TYPE a counter\na 1\n', '_total'],
    ['a bad value', '# TYPE a gauge\na one\n', 'bad value'],
    ['garbage', `${good}hello world again\n`, 'not a sample'],
    ['a repeated series', `${good}a_total 2\n`, 'repeats'],
    ['a second TYPE', `${good}# TYPE a_total counter\n`, 'after its samples'],
    ['unquoted labels', '# TYPE a gauge\na{x=1} 1\n', 'bad labels'],
    ['split samples', '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="y"} 1\n', 'not contiguous'],
    [
      'buckets that fall',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      'must not fall',
    ],
    ['+Inf not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', 'must equal'],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', '+Inf'],
  ])('refuses %s', (_, text, message) => {
    expect(() => parseExposition(text)).toThrow(message);
  });

  it('reads a good text', () => {
    expect(sampleValue(parseExposition(good), 'a_total')).toBe(1);
  });
});
