import type { FixedHistogram } from './histogram.ts';

/**
 * Writes the Prometheus text exposition format, version 0.0.4: per family one `# HELP` and one
 * `# TYPE` line, then its samples, `name{label="value",...} value`, each on its own line.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';
export type Labels = Readonly<Record<string, string>>;

export class ExpositionText {
  readonly #lines: string[] = [];

  /** Opens a family: its HELP and TYPE lines. A counter's name ends in `_total`. */
  family(name: string, type: MetricType, help: string): this {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Labels = {}): this {
    this.#lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A whole histogram family: cumulative buckets ending with `+Inf`, then `_sum` and `_count`. */
  histogram(name: string, help: string, histogram: FixedHistogram, labels: Labels = {}): this {
    this.family(name, 'histogram', help);
    const cumulative = histogram.cumulative();
    histogram.bounds.forEach((bound, index) => {
      this.sample(`${name}_bucket`, cumulative[index]!, { ...labels, le: formatValue(bound) });
    });
    this.sample(`${name}_bucket`, histogram.count, { ...labels, le: '+Inf' });
    this.sample(`${name}_sum`, histogram.sum, labels);
    return this.sample(`${name}_count`, histogram.count, labels);
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabel(labels[name]!)}"`).join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (format 0.0.4). */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}
