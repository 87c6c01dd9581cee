/**
 * A Prometheus histogram with fixed buckets: `observe` finds the value's bucket and adds one, with
 * no allocation, so it may sit on the hot path. Counts are kept per bucket and made cumulative
 * only when the text is written.
 */
export class FixedHistogram {
  /** Upper bounds, ascending; `+Inf` is implied. */
  readonly bounds: readonly number[];
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    for (let index = 1; index < bounds.length; index++) {
      if (!(bounds[index]! > bounds[index - 1]!)) throw new Error('histogram bounds must ascend');
    }
    this.bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    this.#counts[index]! += 1;
    this.#sum += value;
    this.#count += 1;
  }

  /** Cumulative counts per bound, then the count of every observation (`+Inf`). */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const count of this.#counts) {
      running += count;
      out.push(running);
    }
    return out;
  }

  get sum(): number {
    return this.#sum;
  }

  get count(): number {
    return this.#count;
  }
}
