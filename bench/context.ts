/** What every case gets: where the data is, how much of it, and how hard to measure. */
import type { AlertSource } from './load.js'
import type { PythonEnvironment } from './python-env.js'

export interface Plan {
  quick: boolean
  /** Alerts in the bench topic. */
  alerts: number
  partitions: number
  /** Runs per case (≥ 3). */
  runs: number
  /** Alerts the Python baseline reads per run (it is slow; its rate is steady well before). */
  pythonAlerts: number
  /** Alerts one WebSocket or REST client reads per run (the whole topic in a full run). */
  gatewayAlerts: number
  /** Measuring window of each fan-out run. */
  fanoutWindowMs: number
  fanoutClients: number[]
  latencyRate: number
  latencyMs: number
  /** Wait between the latency client's connection and the stream's start (group join). */
  latencySubscribeMs: number
  /** Latencies of alerts sent in the first part of a run are left out (subscription warm-up). */
  latencyWarmupMs: number
  idleSessions: number[]
  /** Wait after the last idle session opened before reading memory. */
  idleSettleMs: number
}

export function makePlan (quick: boolean): Plan {
  return quick
    ? {
        quick,
        alerts: 3000,
        partitions: 4,
        runs: 3,
        pythonAlerts: 300,
        gatewayAlerts: 1000,
        fanoutWindowMs: 1500,
        // 50 clients take ~10 s a run to connect: left to the full run to stay under 3 minutes
        fanoutClients: [1, 10],
        latencyRate: 300,
        latencyMs: 3000,
        latencySubscribeMs: 1500,
        latencyWarmupMs: 1000,
        idleSessions: [0, 50],
        idleSettleMs: 1500
      }
    : {
        quick,
        alerts: 20000,
        partitions: 4,
        runs: 3,
        pythonAlerts: 3000,
        gatewayAlerts: 20000,
        fanoutWindowMs: 10000,
        fanoutClients: [1, 10, 50],
        latencyRate: 300,
        latencyMs: 20000,
        latencySubscribeMs: 3000,
        latencyWarmupMs: 2000,
        idleSessions: [0, 100, 500],
        idleSettleMs: 10000
      }
}

export interface BenchContext {
  plan: Plan
  brokers: string
  topic: string
  source: AlertSource
  python: PythonEnvironment
  /** A name unique to this bench run, for groups and extra topics. */
  runId: string
  log: (line: string) => void
}
