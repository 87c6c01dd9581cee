/**
 * A strict reader of the Prometheus text exposition format, version 0.0.4, for tests: every line
 * is blank, a comment (`# HELP`, `# TYPE` or free text) or a sample `name{labels} value`; a
 * family's TYPE comes before its samples, once; its samples are contiguous; no series repeats; a
 * counter's name ends in `_total`; a histogram's buckets climb with `le`, end with `+Inf`, and
 * `+Inf` equals `_count`. Anything else throws, naming the line.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: FamilyType;
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly FamilyType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;

export class ExpositionError extends Error {}

/** The families of a scrape, by name, in the order they appeared. */
export function parseExposition(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new ExpositionError('the text must end with a line feed');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const closed = new Set<string>();
  /** Families whose TYPE line was read. */
  const typed = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new ExpositionError(`line ${index + 1} (${JSON.stringify(line)}): ${why}`);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
      if (!match) return; // a free comment
      const [, keyword, name, rest = ''] = match;
      if (!METRIC_NAME.test(name!)) fail(`bad metric name ${name}`);
      let family = families.get(name!);
      if (family && closed.has(name!)) fail(`${keyword} for ${name} after its samples ended`);
      if (!family) {
        family = { name: name!, type: 'untyped', help: undefined, samples: [] };
        families.set(name!, family);
      }
      if (family.samples.length > 0) fail(`${keyword} for ${name} after its samples`);
      if (keyword === 'HELP') {
        if (family.help !== undefined) fail(`a second HELP for ${name}`);
        family.help = unescapeHelp(rest, fail);
      } else {
        if (typed.has(name!)) fail(`a second TYPE for ${name}`);
        if (!TYPES.includes(rest.trim() as FamilyType)) fail(`unknown type ${rest}`);
        typed.add(name!);
        family.type = rest.trim() as FamilyType;
        if (family.type === 'counter' && !name!.endsWith('_total'))
          fail(`counter ${name} must end in _total`);
      }
      if (current && current !== family) closed.add(current.name);
      current = family;
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(sample.name, families);
    if (!family || !typed.has(family.name)) fail(`sample ${sample.name} has no TYPE before it`);
    if (closed.has(family!.name)) fail(`samples of ${family!.name} are not contiguous`);
    if (current && current !== family) closed.add(current.name);
    current = family;
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) fail(`series ${key} repeats`);
    series.add(key);
    family!.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
    if (family.type === 'counter' || family.type === 'histogram' || family.type === 'summary') {
      for (const sample of family.samples) {
        if (sample.labels.quantile === undefined && sample.value < 0)
          throw new ExpositionError(`${sample.name} is negative`);
      }
    }
  }
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = familyOf(name, families);
  const found = family?.samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (!found || found.length === 0) return undefined;
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]!.value;
}

/** The family a sample belongs to: its own name, or a histogram's or summary's by suffix. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const own = families.get(name);
  if (own && !(own.type === 'histogram' && name === own.name)) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (!base) continue;
    if (base.type === 'histogram') return base;
    if (base.type === 'summary' && suffix !== '_bucket') return base;
  }
  return own && own.type !== 'histogram' ? own : undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?$/.exec(line);
  if (!match) return fail('not a sample, a comment or blank');
  const [, name, labelText, valueText] = match;
  const labels = labelText ? parseLabels(labelText.slice(1, -1), fail) : {};
  if (!FLOAT.test(valueText!)) fail(`bad value ${valueText}`);
  const value = valueText!.endsWith('Inf')
    ? valueText!.startsWith('-')
      ? Number.NEGATIVE_INFINITY
      : Number.POSITIVE_INFINITY
    : Number(valueText);
  return { name: name!, labels, value };
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
    if (!match) return fail(`bad labels at ${JSON.stringify(rest)}`);
    const [whole, name, raw, comma] = match;
    if (!LABEL_NAME.test(name!) || name!.startsWith('__')) fail(`bad label name ${name}`);
    if (Object.hasOwn(labels, name!)) fail(`label ${name} repeats`);
    labels[name!] = raw!.replace(/\\(["\\n])/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    rest = rest.slice(whole!.length);
    if (!comma && rest.length > 0) fail(`labels must be separated by commas at ${JSON.stringify(rest)}`);
  }
  return labels;
}

function unescapeHelp(text: string, fail: (why: string) => never): string {
  if (/\\[^\\n]/.test(text.replace(/\\\\/g, ''))) fail('bad escape in HELP');
  return text.replace(/\\([\\n])/g, (_, escaped: string) => (escaped === 'n' ? '\n' : '\\'));
}

/** Per label set (without `le`): buckets climb with le, the last is +Inf, and +Inf equals _count. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  const keyOf = (labels: Record<string, string>) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([name]) => name !== 'le')
        .sort(),
    );
  for (const sample of family.samples) {
    if (sample.name !== `${family.name}_bucket`) continue;
    if (sample.labels.le === undefined) throw new ExpositionError(`${sample.name} without le`);
    const key = keyOf(sample.labels);
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  if (groups.size === 0) throw new ExpositionError(`histogram ${family.name} has no buckets`);
  for (const [key, buckets] of groups) {
    const bounds = buckets.map((bucket) =>
      bucket.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket.labels.le),
    );
    if (bounds.some(Number.isNaN)) throw new ExpositionError(`${family.name}: a bad le in ${key}`);
    for (let index = 1; index < buckets.length; index++) {
      if (!(bounds[index]! > bounds[index - 1]!)) throw new ExpositionError(`${family.name}: le must ascend`);
      if (buckets[index]!.value < buckets[index - 1]!.value)
        throw new ExpositionError(`${family.name}: bucket counts must not fall (${key})`);
    }
    if (bounds.at(-1) !== Number.POSITIVE_INFINITY)
      throw new ExpositionError(`${family.name}: the last bucket must be +Inf`);
    const count = family.samples.find(
      (sample) => sample.name === `${family.name}_count` && keyOf(sample.labels) === key,
    );
    const sum = family.samples.find(
      (sample) => sample.name === `${family.name}_sum` && keyOf(sample.labels) === key,
    );
    if (!count || !sum) throw new ExpositionError(`${family.name}: _sum and _count are required`);
    if (count.value !== buckets.at(-1)!.value)
      throw new ExpositionError(
        `${family.name}: +Inf (${buckets.at(-1)!.value}) must equal _count (${count.value})`,
      );
  }
}
