/**
 * Small statistics for benchmark runs: each case is measured several times and reported as
 * a median with its spread, never as a single number.
 */

export interface Summary {
  runs: number
  median: number
  min: number
  max: number
  /** First and third quartiles (linear interpolation between order statistics). */
  q1: number
  q3: number
}

/** The q-quantile (0 ≤ q ≤ 1) of values, by linear interpolation between order statistics. */
export function quantile (values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of no values')
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`)
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  const lowValue = sorted[low] as number
  const highValue = sorted[high] as number
  return lowValue + (highValue - lowValue) * (position - low)
}

export function median (values: readonly number[]): number {
  return quantile(values, 0.5)
}

export function summarise (values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summary of no values')
  return {
    runs: values.length,
    median: quantile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75)
  }
}

/** a ÷ b, or null when either is missing or b is zero: a ratio that cannot be computed is not 0. */
export function ratio (a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null
  return a / b
}

/** Rounds for display and storage: 3 significant digits below 100, whole numbers above. */
export function round (value: number): number {
  if (!Number.isFinite(value)) return value
  const magnitude = Math.abs(value)
  if (magnitude >= 100) return Math.round(value)
  if (magnitude === 0) return 0
  const digits = 3 - Math.ceil(Math.log10(magnitude))
  const factor = 10 ** Math.max(0, digits)
  return Math.round(value * factor) / factor
}

export interface Histogram {
  /** Width of each bin. */
  bin: number
  /** counts[i] holds values in [i*bin, (i+1)*bin); the last bin also holds everything above. */
  counts: number[]
}

/** A fixed-width histogram from 0, with an overflow bin at the end. */
export function histogram (values: readonly number[], bin: number, bins: number): Histogram {
  if (!(bin > 0) || !Number.isInteger(bins) || bins < 1) throw new RangeError('histogram needs bin > 0 and bins ≥ 1')
  const counts = new Array<number>(bins).fill(0)
  for (const value of values) {
    const index = Math.min(bins - 1, Math.max(0, Math.floor(value / bin)))
    counts[index] = (counts[index] as number) + 1
  }
  return { bin, counts }
}

/**
 * Alerts per second over the steady part of a run: from the first delivery to the last,
 * leaving out what arrived with the first delivery (it measures start-up, not throughput).
 */
export function steadyRate (run: { alerts: number, firstBatch: number, firstMs: number, lastMs: number }): number | null {
  const seconds = (run.lastMs - run.firstMs) / 1000
  const counted = run.alerts - run.firstBatch
  if (seconds <= 0 || counted <= 0) return null
  return counted / seconds
}
