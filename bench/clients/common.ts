/** What every bench client process shares: its options, a clock, and how it reports. */

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function nowMs (): number {
  return performance.timeOrigin + performance.now()
}

/** The client's options: one JSON argument, so the harness and the client share one shape. */
export function clientOptions<T> (): T {
  const raw = process.argv[2]
  if (raw === undefined) throw new Error('expected the client options as one JSON argument')
  return JSON.parse(raw) as T
}

/** The result line the harness reads: the last JSON line on stdout. */
export function report (result: unknown): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** A drain run's raw figures (times in epoch ms). */
export interface DrainFigures {
  alerts: number
  /** Alerts in the first delivery (one message, one consume() batch, one HTTP response). */
  firstBatch: number
  startMs: number
  firstMs: number
  lastMs: number
  bytes?: number
  errors?: number
}
