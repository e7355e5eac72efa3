/** The shape of each case's figures in the results, and how raw client figures become them. */
import { round, steadyRate, summarise, type Summary } from './stats.js'
import type { DrainFigures } from './clients/common.js'

export interface RunFigures {
  alerts: number
  /** Alerts per second from the first delivery to the last (the first delivery left out). */
  rate: number | null
  /** Alerts per second from the client's start (connecting, joining the group included). */
  wall_rate: number | null
  /** From the client's start to its first alert. */
  first_alert_ms: number
  seconds: number
  mb_per_s?: number | null
  error_items?: number
  /** Gateway runs only: the gateway process's CPU time (all threads) per alert delivered. */
  gateway_cpu_us_per_alert?: number
  /** Clients that measure themselves (node-rdkafka): their CPU time (all threads) per alert. */
  client_cpu_us_per_alert?: number
}

export interface ThroughputCase {
  what: string
  alerts_per_run: number
  runs: RunFigures[]
  rate: Summary | null
  wall_rate: Summary | null
  gateway_cpu_us_per_alert?: Summary | null
  client_cpu_us_per_alert?: Summary | null
  notes: string[]
  error?: string
}

export function runFigures (d: DrainFigures): RunFigures {
  const rate = steadyRate(d)
  const wallSeconds = (d.lastMs - d.startMs) / 1000
  const seconds = (d.lastMs - d.firstMs) / 1000
  const figures: RunFigures = {
    alerts: d.alerts,
    rate: rate === null ? null : round(rate),
    wall_rate: wallSeconds > 0 ? round(d.alerts / wallSeconds) : null,
    first_alert_ms: Math.round(d.firstMs - d.startMs),
    seconds: round(seconds)
  }
  if (d.bytes !== undefined && seconds > 0) figures.mb_per_s = round(d.bytes / 1024 / 1024 / ((d.lastMs - d.startMs) / 1000))
  if (d.errors !== undefined) figures.error_items = d.errors
  return figures
}

function summaryOf (values: Array<number | null>): Summary | null {
  const known = values.filter((v): v is number => v !== null)
  if (known.length === 0) return null
  const s = summarise(known)
  return { runs: s.runs, median: round(s.median), min: round(s.min), max: round(s.max), q1: round(s.q1), q3: round(s.q3) }
}

export function throughputCase (what: string, alertsPerRun: number, runs: RunFigures[], notes: string[] = [], error?: string): ThroughputCase {
  const result: ThroughputCase = {
    what,
    alerts_per_run: alertsPerRun,
    runs,
    rate: summaryOf(runs.map((r) => r.rate)),
    wall_rate: summaryOf(runs.map((r) => r.wall_rate)),
    notes
  }
  const cpu = runs.map((r) => r.gateway_cpu_us_per_alert ?? null)
  if (cpu.some((c) => c !== null)) result.gateway_cpu_us_per_alert = summaryOf(cpu)
  const clientCpu = runs.map((r) => r.client_cpu_us_per_alert ?? null)
  if (clientCpu.some((c) => c !== null)) result.client_cpu_us_per_alert = summaryOf(clientCpu)
  if (error !== undefined) result.error = error
  return result
}

export { summaryOf }
