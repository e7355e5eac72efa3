/**
 * The results file: every figure of a run, the machine, and the ratios the targets are about.
 * A full run writes bench/results/latest.json and a dated copy; a quick run writes
 * bench/results/quick.json and a partial one (--only, --alerts, --runs) partial.json, neither
 * committed, so a smoke run or an experiment never replaces the figures of record.
 */
import { mkdir, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { ratio, round } from './stats.js'
import type { ThroughputCase } from './figures.js'
import type { Summary } from './stats.js'

export interface Ratios {
  ws_vs_rdkafka: number | null
  ws_exclude_cutouts_vs_rdkafka: number | null
  rest_vs_rdkafka: number | null
  rest_exclude_cutouts_vs_rdkafka: number | null
  ws_vs_kcat: number | null
  ws_vs_finkclient: number | null
  rest_vs_finkclient: number | null
  rdkafka_vs_kcat: number | null
  fanout10_vs_1: number | null
  fanout50_vs_1: number | null
}

export interface FanoutPoint {
  clients: number
  total: Summary | null
  per_client: Summary | null
}

export interface Targets {
  ws_vs_rdkafka: { target: '>= 0.5', value: number | null, met: boolean | null }
  gateway_vs_finkclient: { target: '>= 5', value: number | null, met: boolean | null }
  latency_p99_ms: { target: '<= 50', value: number | null, met: boolean | null }
  idle_session_rss_mb: { target: '<= 2', value: number | null, met: boolean | null }
  fanout10_vs_1: { target: '>= 5', value: number | null, met: boolean | null }
}

/** The median rate of a throughput case, or null if it has none. */
export function medianRate (c: ThroughputCase | undefined): number | null {
  return c?.rate?.median ?? null
}

function rounded (value: number | null): number | null {
  return value === null ? null : round(value)
}

export function computeRatios (cases: {
  kcat?: ThroughputCase
  rdkafka?: ThroughputCase
  python?: ThroughputCase
  ws?: ThroughputCase
  wsExclude?: ThroughputCase
  rest?: ThroughputCase
  restExclude?: ThroughputCase
  fanout?: FanoutPoint[]
}): Ratios {
  const rate = medianRate
  const fanout = (n: number): number | null => cases.fanout?.find((p) => p.clients === n)?.total?.median ?? null
  return {
    ws_vs_rdkafka: rounded(ratio(rate(cases.ws), rate(cases.rdkafka))),
    ws_exclude_cutouts_vs_rdkafka: rounded(ratio(rate(cases.wsExclude), rate(cases.rdkafka))),
    rest_vs_rdkafka: rounded(ratio(rate(cases.rest), rate(cases.rdkafka))),
    rest_exclude_cutouts_vs_rdkafka: rounded(ratio(rate(cases.restExclude), rate(cases.rdkafka))),
    ws_vs_kcat: rounded(ratio(rate(cases.ws), rate(cases.kcat))),
    ws_vs_finkclient: rounded(ratio(rate(cases.ws), rate(cases.python))),
    rest_vs_finkclient: rounded(ratio(rate(cases.rest), rate(cases.python))),
    rdkafka_vs_kcat: rounded(ratio(rate(cases.rdkafka), rate(cases.kcat))),
    fanout10_vs_1: rounded(ratio(fanout(10), fanout(1))),
    fanout50_vs_1: rounded(ratio(fanout(50), fanout(1)))
  }
}

function target<T extends string> (targetText: T, value: number | null, met: (v: number) => boolean): { target: T, value: number | null, met: boolean | null } {
  return { target: targetText, value, met: value === null ? null : met(value) }
}

export function checkTargets (ratios: Ratios, latencyP99: number | null, idleRssMb: number | null): Targets {
  return {
    ws_vs_rdkafka: target('>= 0.5', ratios.ws_vs_rdkafka, (v) => v >= 0.5),
    gateway_vs_finkclient: target('>= 5', ratios.ws_vs_finkclient, (v) => v >= 5),
    latency_p99_ms: target('<= 50', latencyP99, (v) => v <= 50),
    idle_session_rss_mb: target('<= 2', idleRssMb, (v) => v <= 2),
    fanout10_vs_1: target('>= 5', ratios.fanout10_vs_1, (v) => v >= 5)
  }
}

/** Writes atomically (temporary file, then rename) so a reader never sees half a file. */
async function writeAtomically (path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`
  await writeFile(temporary, text)
  await rename(temporary, path)
}

/** full: every case with the full plan; quick: the smoke run; partial: some cases or a changed plan. */
export type RunKind = 'full' | 'quick' | 'partial'

export function resultFileNames (kind: RunKind, date: Date): string[] {
  if (kind !== 'full') return [`${kind}.json`]
  const day = date.toISOString().slice(0, 10)
  return ['latest.json', `${day}.json`]
}

/** Writes the results; returns the paths written. */
export async function writeResults (dir: string, results: { kind: RunKind, date: string }, body: unknown): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const text = JSON.stringify(body, null, 2) + '\n'
  const paths = resultFileNames(results.kind, new Date(results.date)).map((name) => join(dir, name))
  for (const path of paths) await writeAtomically(path, text)
  return paths
}
