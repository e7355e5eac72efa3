/**
 * The gateway's cases: one WebSocket client and one REST /consume loop (each with and without
 * exclude=cutouts), WebSocket fan-out, live latency at a steady rate, and the memory and
 * threads of idle sessions. Every client runs in its own process.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { nodeClientArgs, runChild, startChild, stopChild, type RunningChild } from '../child.js'
import type { DrainFigures } from '../clients/common.js'
import type { BenchContext } from '../context.js'
import { runFigures, summaryOf, throughputCase, type ThroughputCase } from '../figures.js'
import { processCpuMs, processStatus, startGateway, type Gateway } from '../gateway.js'
import { createTopic, deleteTopic } from '../kafka.js'
import { replayAtRate } from '../load.js'
import type { FanoutPoint } from '../results.js'
import { histogram, median, quantile, round, type Histogram } from '../stats.js'
import { repeat } from './baselines.js'

const RUN_TIMEOUT_MS = 300_000

interface DrainReport {
  error: string | null
  clients: number
  startMs: number
  firstMs: number
  windowStartMs: number
  windowEndMs: number
  windowSeconds: number
  windowAlerts: number[]
  totalAlerts: number[]
  bytes: number
  errorItems: number
}

function wsUrl (gateway: Gateway, topic: string, params: Record<string, string>): string {
  const query = new URLSearchParams({ topics: topic, ...params })
  return `${gateway.wsUrl}/ws?${query.toString()}`
}

async function wsDrain (gateway: Gateway, ctx: BenchContext, opts: { clients: number, exclude: boolean, alerts: number, windowMs?: number, group: string }): Promise<DrainReport> {
  const params: Record<string, string> = { start: 'earliest' }
  if (opts.exclude) params.exclude = 'cutouts'
  const report = await runChild(process.execPath, nodeClientArgs('ws-clients.ts', {
    mode: 'drain',
    url: wsUrl(gateway, ctx.topic, params),
    clients: opts.clients,
    groupPrefix: opts.group,
    alerts: opts.alerts,
    windowMs: opts.windowMs,
    timeoutMs: RUN_TIMEOUT_MS - 10_000
  }), { timeoutMs: RUN_TIMEOUT_MS }) as DrainReport
  if (report.error !== null) throw new Error(report.error)
  return report
}

export async function wsCase (gateway: Gateway, ctx: BenchContext, exclude: boolean): Promise<ThroughputCase> {
  const name = exclude ? 'ws exclude=cutouts' : 'ws'
  const { runs, error } = await repeat(ctx, name, async (i) => {
    const wanted = ctx.plan.gatewayAlerts
    const cpuBefore = processCpuMs(gateway.pid)
    const report = await wsDrain(gateway, ctx, { clients: 1, exclude, alerts: wanted, group: `bench-ws-${exclude ? 'x' : 'f'}-${ctx.runId}-${i}` })
    const cpuMs = processCpuMs(gateway.pid) - cpuBefore
    const alerts = report.totalAlerts[0] ?? 0
    if (alerts < wanted) throw new Error(`read ${alerts} of ${wanted} alerts`)
    const figures: DrainFigures = { alerts, firstBatch: 1, startMs: report.startMs, firstMs: report.firstMs, lastMs: report.windowEndMs, bytes: report.bytes, errors: report.errorItems }
    return { ...runFigures(figures), gateway_cpu_us_per_alert: round((cpuMs * 1000) / alerts) }
  })
  return throughputCase(`one WebSocket client, start=earliest${exclude ? ', exclude=cutouts' : ''}: decode, item JSON, send; the client counts frames`, ctx.plan.gatewayAlerts, runs, [], error)
}

export async function restCase (gateway: Gateway, ctx: BenchContext, exclude: boolean): Promise<ThroughputCase> {
  const name = exclude ? 'rest exclude=cutouts' : 'rest'
  const query = new URLSearchParams({ topics: ctx.topic, num_alerts: '100', timeout: '5' })
  if (exclude) query.set('exclude', 'cutouts')
  const { runs, error } = await repeat(ctx, name, async (i) => {
    const cpuBefore = processCpuMs(gateway.pid)
    const report = await runChild(process.execPath, nodeClientArgs('rest-consume.ts', {
      url: `${gateway.httpUrl}/consume?${query.toString()}`,
      group: `bench-rest-${exclude ? 'x' : 'f'}-${ctx.runId}-${i}`,
      alerts: ctx.plan.gatewayAlerts,
      timeoutMs: RUN_TIMEOUT_MS - 10_000
    }), { timeoutMs: RUN_TIMEOUT_MS }) as DrainFigures & { error: string | null }
    if (report.error !== null) throw new Error(report.error)
    if (report.alerts < ctx.plan.gatewayAlerts) throw new Error(`read ${report.alerts} of ${ctx.plan.gatewayAlerts} alerts`)
    const cpuMs = processCpuMs(gateway.pid) - cpuBefore
    return { ...runFigures(report), gateway_cpu_us_per_alert: round((cpuMs * 1000) / report.alerts) }
  })
  return throughputCase(`REST GET /consume?num_alerts=100 in a loop${exclude ? ', exclude=cutouts' : ''}, one group; the client parses each response`, ctx.plan.gatewayAlerts, runs, [], error)
}

export interface FanoutRun {
  clients: number
  total_rate: number
  per_client_median: number
  per_client_min: number
  per_client_max: number
  window_s: number
  first_alert_ms: number
  /** Gateway CPU over the whole run (connections included) ÷ every alert delivered. */
  gateway_cpu_us_per_alert: number
}

export async function fanoutCase (gateway: Gateway, ctx: BenchContext): Promise<{ what: string, window_ms: number, points: FanoutPoint[], runs: FanoutRun[], error?: string }> {
  const points: FanoutPoint[] = []
  const allRuns: FanoutRun[] = []
  let error: string | undefined
  for (const clients of ctx.plan.fanoutClients) {
    const runs: FanoutRun[] = []
    for (let i = 0; i < ctx.plan.runs && error === undefined; i++) {
      try {
        const cpuBefore = processCpuMs(gateway.pid)
        const report = await wsDrain(gateway, ctx, { clients, exclude: false, alerts: ctx.plan.alerts, windowMs: ctx.plan.fanoutWindowMs, group: `bench-fan${clients}-${ctx.runId}-${i}` })
        const cpuMs = processCpuMs(gateway.pid) - cpuBefore
        const delivered = report.totalAlerts.reduce((sum, n) => sum + n, 0)
        const perClient = report.windowAlerts.map((n) => n / report.windowSeconds)
        const run: FanoutRun = {
          clients,
          total_rate: round(perClient.reduce((s, r) => s + r, 0)),
          per_client_median: round(median(perClient)),
          per_client_min: round(Math.min(...perClient)),
          per_client_max: round(Math.max(...perClient)),
          window_s: round(report.windowSeconds),
          first_alert_ms: Math.round(report.windowStartMs - report.startMs),
          gateway_cpu_us_per_alert: round((cpuMs * 1000) / Math.max(1, delivered))
        }
        runs.push(run)
        ctx.log(`  fan-out ${clients} run ${i + 1}: total ${run.total_rate} alerts/s, per client ${run.per_client_median} (min ${run.per_client_min}) over ${run.window_s} s; gateway CPU ${run.gateway_cpu_us_per_alert} µs/alert`)
      } catch (err) {
        error = `fan-out ${clients}: ${(err as Error).message}`
        ctx.log(`  ${error}`)
      }
    }
    allRuns.push(...runs)
    points.push({ clients, total: summaryOf(runs.map((r) => r.total_rate)), per_client: summaryOf(runs.map((r) => r.per_client_median)) })
    if (error !== undefined) break
  }
  const result = {
    what: 'k WebSocket clients in one client process, each with its own group from the start of the topic; rates over the window from the moment all k have their first alert until the window ends or one client has read the whole topic',
    window_ms: ctx.plan.fanoutWindowMs,
    points,
    runs: allRuns
  }
  return error === undefined ? result : { ...result, error }
}

export interface LatencyResult {
  what: string
  rate: number
  seconds_per_run: number
  runs: Array<{ sent: number, received: number, measured: number, p50: number, p90: number, p99: number, max: number }>
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
  histogram_ms: Histogram | null
  error?: string
}

/** Drops the empty bins at the end: a 1 ms histogram up to 2 s is mostly zeros. */
function trimmed (h: Histogram): Histogram {
  let end = h.counts.length
  while (end > 1 && h.counts[end - 1] === 0) end--
  return { bin: h.bin, counts: h.counts.slice(0, end) }
}

export async function latencyCase (gateway: Gateway, ctx: BenchContext): Promise<LatencyResult> {
  const { plan } = ctx
  const topic = `bench_latency_${ctx.runId.replace(/-/g, '_')}`
  const pooled: number[] = []
  const result: LatencyResult = {
    what: `replay at ${plan.latencyRate} alerts/s into a fresh ${plan.partitions}-partition topic; one WebSocket client at start=latest; latency = client receipt time − Kafka timestamp (producer CreateTime, same clock), the first ${plan.latencyWarmupMs} ms of each run left out`,
    rate: plan.latencyRate,
    seconds_per_run: plan.latencyMs / 1000,
    runs: [],
    p50: null,
    p90: null,
    p99: null,
    max: null,
    histogram_ms: null
  }
  try {
    await createTopic(ctx.brokers, topic, plan.partitions)
    for (let i = 0; i < plan.runs; i++) {
      let ready: () => void = () => {}
      const isReady = new Promise<void>((resolve) => { ready = resolve })
      const client: RunningChild = startChild(process.execPath, nodeClientArgs('ws-clients.ts', {
        mode: 'latency',
        url: wsUrl(gateway, topic, { start: 'latest' }),
        clients: 1,
        groupPrefix: `bench-latency-${ctx.runId}-${i}`,
        timeoutMs: plan.latencyMs + 120_000
      }), { timeoutMs: plan.latencyMs + 130_000, onLine: (line) => { if (line === 'ready') ready() } })
      await Promise.race([isReady, client.result, sleep(30_000).then(() => { throw new Error('the latency client did not connect within 30 s') })])
      // let the session join its group and get its partitions before the stream starts
      await sleep(plan.latencySubscribeMs)
      const replayStart = Date.now()
      const sent = await replayAtRate(ctx.brokers, topic, ctx.source, plan.latencyRate, plan.latencyMs, plan.partitions)
      await sleep(1000)
      await stopChild(client.child, 10_000)
      const report = await client.result as { error: string | null, alerts: number, samples: Array<[number, number]> }
      if (report.error !== null) throw new Error(report.error)
      const measured = report.samples.filter(([timestamp]) => timestamp >= replayStart + plan.latencyWarmupMs).map(([, latency]) => latency)
      if (measured.length === 0) throw new Error(`no alert reached the client (${report.alerts} frames, ${sent.sent} sent)`)
      pooled.push(...measured)
      const run = {
        sent: sent.sent,
        received: report.alerts,
        measured: measured.length,
        p50: round(quantile(measured, 0.5)),
        p90: round(quantile(measured, 0.9)),
        p99: round(quantile(measured, 0.99)),
        max: Math.max(...measured)
      }
      result.runs.push(run)
      ctx.log(`  latency run ${i + 1}: sent ${run.sent}, received ${run.received}; p50 ${run.p50} ms, p99 ${run.p99} ms, max ${run.max} ms`)
    }
  } catch (err) {
    result.error = (err as Error).message
    ctx.log(`  latency failed: ${result.error}`)
  } finally {
    await deleteTopic(ctx.brokers, topic).catch(() => {})
  }
  if (pooled.length > 0) {
    result.p50 = round(quantile(pooled, 0.5))
    result.p90 = round(quantile(pooled, 0.9))
    result.p99 = round(quantile(pooled, 0.99))
    result.max = Math.max(...pooled)
    result.histogram_ms = trimmed(histogram(pooled, 1, 2000))
  }
  return result
}

export interface SessionsPoint { sessions: number, rss_mb: number, threads: number }

export interface SessionsResult {
  what: string
  runs: SessionsPoint[][]
  points: Array<{ sessions: number, rss_mb: number, threads: number, runs: number }>
  per_session_rss_mb: number | null
  per_session_threads: number | null
  error?: string
}

/** Median RSS and threads over a few samples, so one GC or allocation spike does not decide. */
async function sampleStatus (pid: number, quick: boolean): Promise<{ rssMb: number, threads: number }> {
  const samples = []
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    samples.push(processStatus(pid))
    await sleep(quick ? 300 : 500)
  }
  return { rssMb: median(samples.map((s) => s.rssMb)), threads: median(samples.map((s) => s.threads)) }
}

export async function sessionsCase (ctx: BenchContext, gatewayEnv: Record<string, string>): Promise<SessionsResult> {
  const { plan } = ctx
  const runs: SessionsPoint[][] = []
  let error: string | undefined
  for (let i = 0; i < plan.runs; i++) {
    const gateway = await startGateway({ brokers: ctx.brokers, env: gatewayEnv })
    const holders: RunningChild[] = []
    const points: SessionsPoint[] = []
    try {
      let open = 0
      for (const sessions of plan.idleSessions) {
        const more = sessions - open
        if (more > 0) {
          let ready: () => void = () => {}
          const isReady = new Promise<void>((resolve) => { ready = resolve })
          const holder = startChild(process.execPath, nodeClientArgs('ws-clients.ts', {
            mode: 'idle',
            url: wsUrl(gateway, ctx.topic, { start: 'latest' }),
            clients: more,
            groupPrefix: `bench-idle-${ctx.runId}-${i}-${sessions}`,
            openConcurrency: 25,
            timeoutMs: 600_000
          }), { timeoutMs: 610_000, onLine: (line) => { if (line.startsWith('ready')) ready() } })
          holders.push(holder)
          const limitMs = 60_000 + 200 * more
          await Promise.race([
            isReady,
            holder.result.then((r) => { throw new Error(`could not open ${sessions} sessions: ${(r as { error?: string }).error ?? JSON.stringify(r)}`) }),
            sleep(limitMs).then(() => { throw new Error(`${sessions} sessions were not all open within ${limitMs} ms`) })
          ])
          open = sessions
        }
        await sleep(plan.idleSettleMs)
        if (gateway.child.exitCode !== null) throw new Error(`the gateway exited: ${gateway.output().slice(-500)}`)
        const status = await sampleStatus(gateway.pid, plan.quick)
        points.push({ sessions, rss_mb: round(status.rssMb), threads: status.threads })
        ctx.log(`  sessions run ${i + 1}: ${sessions} idle sessions: RSS ${round(status.rssMb)} MB, ${status.threads} threads`)
      }
    } catch (err) {
      const message = `run ${i + 1}: ${(err as Error).message}`
      error ??= message
      ctx.log(`  sessions failed: ${message}`)
    } finally {
      // the levels reached before a failure are figures too
      if (points.length > 0) runs.push(points)
      for (const holder of holders) await stopChild(holder.child, 5000)
      for (const holder of holders) await holder.result.catch(() => {})
      await gateway.stop()
    }
  }
  // levels some run reached, each the median over the runs that reached it
  const points = plan.idleSessions.flatMap((sessions, index) => {
    const at = runs.map((r) => r[index]).filter((p): p is SessionsPoint => p !== undefined)
    return at.length === 0 ? [] : [{ sessions, rss_mb: round(median(at.map((p) => p.rss_mb))), threads: median(at.map((p) => p.threads)), runs: at.length }]
  })
  const first = points[0]
  const last = points[points.length - 1]
  const span = first !== undefined && last !== undefined ? last.sessions - first.sessions : 0
  const perSession = (pick: (p: SessionsPoint) => number): number | null => {
    if (first === undefined || last === undefined || span <= 0) return null
    const value = (pick(last) - pick(first)) / span
    return Number.isFinite(value) ? round(value) : null
  }
  const result: SessionsResult = {
    what: 'a fresh gateway; k WebSocket sessions at start=latest on the bench topic, each with its own group (one librdkafka consumer each), open and idle; RSS and Threads from /proc/<gateway pid>/status, median of 5 samples (quick: 3) after a settling time; cost per session = (last − first) ÷ sessions added',
    runs,
    points,
    per_session_rss_mb: perSession((p) => p.rss_mb),
    per_session_threads: perSession((p) => p.threads)
  }
  if (error !== undefined) result.error = error
  return result
}
