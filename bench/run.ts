/**
 * `npm run bench`: the benchmarks, side by side on one topic of real ZTF alerts.
 *   npm run bench                 full run (20 000 alerts, 3 runs a case) → bench/results/latest.json, dated copy, latest.png
 *   npm run bench -- --quick      smoke run (< 3 minutes, 3 000 alerts)     → bench/results/quick.json, quick.png
 *   npm run bench -- --only=kcat,ws   only these cases (kcat rdkafka python ws rest fanout latency sessions decode)
 *   npm run bench -- --profile    CPU profile of the gateway during the WebSocket case → bench/results/profile/
 *   --alerts=N, --runs=N          a topic of N alerts (one client reads at most N), N runs a case: for experiments
 * KAFKA_BROKERS selects the Kafka; unset, the project's local Kafka is started and stopped.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BENCH_DIR } from './child.js'
import { kcatCase, pythonCase, rdkafkaCase } from './cases/baselines.js'
import { decodeCase } from './cases/decode.js'
import { fanoutCase, latencyCase, restCase, sessionsCase, wsCase, type LatencyResult, type SessionsResult } from './cases/gateway.js'
import { gatewayCommand, startGateway, type Gateway } from './gateway.js'
import { plot } from './plot.js'
import { figuresMarkdown } from './report.js'
import { profileGateway } from './cases/profile.js'
import type { FanoutPoint } from './results.js'
import { makePlan, type BenchContext } from './context.js'
import { createTopic, deleteTopic, kafkaEnvironment, kafkaVersion } from './kafka.js'
import { fillTopic, loadAlertSource } from './load.js'
import { describeMachine } from './machine.js'
import { pythonEnvironment } from './python-env.js'
import { checkTargets, computeRatios, writeResults, type RunKind } from './results.js'
import { round } from './stats.js'
import type { ThroughputCase } from './figures.js'

const CASES = ['kcat', 'rdkafka', 'python', 'ws', 'rest', 'fanout', 'latency', 'sessions', 'decode'] as const
type CaseName = typeof CASES[number]

interface Args { quick: boolean, only: Set<CaseName>, profile: boolean, alerts?: number, runs?: number }

function positiveInteger (arg: string): number {
  const value = Number(arg.slice(arg.indexOf('=') + 1))
  if (!Number.isInteger(value) || value < 1) throw new Error(`${arg}: expected a positive integer`)
  return value
}

function parseArgs (argv: string[]): Args {
  let quick = false
  let profile = false
  let alerts: number | undefined
  let runs: number | undefined
  let only = new Set<CaseName>(CASES)
  for (const arg of argv) {
    if (arg === '--quick') quick = true
    else if (arg === '--profile') profile = true
    else if (arg.startsWith('--alerts=')) alerts = positiveInteger(arg)
    else if (arg.startsWith('--runs=')) runs = positiveInteger(arg)
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').filter((n) => n.length > 0)
      for (const name of names) {
        if (!(CASES as readonly string[]).includes(name)) throw new Error(`unknown case ${name}: one of ${CASES.join(', ')}`)
      }
      only = new Set(names as CaseName[])
    } else throw new Error(`unknown argument ${arg}: see the head of bench/run.ts`)
  }
  const args: Args = { quick, only, profile }
  if (alerts !== undefined) args.alerts = alerts
  if (runs !== undefined) args.runs = runs
  return args
}

/** Ends a --profile run early, through the same clean-up as a full run. */
class ProfileDone extends Error {}

const began = Date.now()
const log = (line: string): void => {
  console.log(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`)
}

const args = parseArgs(process.argv.slice(2))
const plan = makePlan(args.quick)
if (args.alerts !== undefined) {
  plan.alerts = args.alerts
  plan.gatewayAlerts = args.alerts
  plan.pythonAlerts = Math.min(plan.pythonAlerts, args.alerts)
}
if (args.runs !== undefined) plan.runs = args.runs
/** Only a complete full run is a result of record (latest.json); anything else is kept apart. */
const runKind: RunKind = args.quick ? 'quick' : (args.only.size < CASES.length || args.alerts !== undefined || args.runs !== undefined ? 'partial' : 'full')
const runId = `${process.pid}-${Date.now().toString(36)}`
const date = new Date().toISOString()

const kafka = await kafkaEnvironment()
const topic = `bench_alerts_${runId.replace(/-/g, '_')}`
let exitCode = 0
try {
  log(`Kafka ${kafka.brokers}${kafka.started ? ' (started by the bench)' : ''}; mode ${args.quick ? 'quick' : 'full'}`)
  const python = await pythonEnvironment(log)
  log(`python: ${python.consumer ?? 'none'} ${python.consumerVersion ?? ''}${python.notes.length > 0 ? ` (${python.notes.join('; ')})` : ''}`)
  const machine = describeMachine({ kafka: await kafkaVersion(kafka.brokers), brokers: kafka.brokers, python: python.version })

  const source = await loadAlertSource()
  log(`alerts: ${source.records.length} ZTF alerts from ${source.files.length} files in ${source.dir}, mean value ${Math.round(source.meanValueBytes / 1024)} KB, key (writer schema) ${Math.round(source.meanKeyBytes / 1024)} KB`)
  await createTopic(kafka.brokers, topic, plan.partitions)
  const filled = await fillTopic(kafka.brokers, topic, source, plan.alerts, plan.partitions)
  if (filled.failed > 0 || filled.delivered !== plan.alerts) throw new Error(`loading the topic: ${filled.delivered} delivered, ${filled.failed} failed of ${plan.alerts}`)
  log(`topic ${topic}: ${plan.alerts} alerts in ${plan.partitions} partitions, loaded in ${filled.seconds.toFixed(1)} s`)

  const ctx: BenchContext = { plan, brokers: kafka.brokers, topic, source, python, runId, log }
  if (args.profile) {
    await profileGateway(ctx, join(BENCH_DIR, 'results', 'profile'))
    throw new ProfileDone()
  }
  const cases: Record<string, unknown> = {}
  const errors: string[] = []
  const throughput: Record<string, ThroughputCase | undefined> = {}
  const record = (name: string, result: ThroughputCase): void => {
    cases[name] = result
    throughput[name] = result
    if (result.error !== undefined) errors.push(`${name}: ${result.error}`)
    const cpu = result.gateway_cpu_us_per_alert != null ? `; gateway CPU median ${result.gateway_cpu_us_per_alert.median} µs/alert` : ''
    log(`${name}: median ${result.rate?.median ?? '?'} alerts/s (min ${result.rate?.min ?? '?'}, max ${result.rate?.max ?? '?'})${cpu}`)
  }

  if (args.only.has('kcat')) { log('case kcat'); record('kcat', await kcatCase(ctx)) }
  if (args.only.has('rdkafka')) {
    log('case rdkafka-count'); record('rdkafka_count', await rdkafkaCase(ctx, 'gateway'))
    log('case rdkafka-count, librdkafka defaults'); record('rdkafka_count_defaults', await rdkafkaCase(ctx, 'defaults'))
  }
  if (args.only.has('python')) { log('case python'); record('python_client', await pythonCase(ctx)) }

  const gatewayCases = (['ws', 'rest', 'fanout', 'latency'] as const).filter((c) => args.only.has(c))
  let fanout: FanoutPoint[] | undefined
  let latency: LatencyResult | undefined
  let sessions: SessionsResult | undefined
  let gatewayInfo: Record<string, unknown> | null = null
  if (gatewayCases.length > 0 || args.only.has('sessions')) {
    gatewayInfo = { command: gatewayCommand().label }
  }
  if (gatewayCases.length > 0) {
    let gateway: Gateway | undefined
    try {
      gateway = await startGateway({ brokers: kafka.brokers })
      gatewayInfo = { command: gatewayCommand().label, env: gateway.env }
      log(`gateway pid ${gateway.pid} on ${gateway.httpUrl}`)
    } catch (err) {
      errors.push(`gateway: ${(err as Error).message}`)
      log(`the gateway did not start: ${(err as Error).message}`)
    }
    if (gateway !== undefined) {
      try {
        if (args.only.has('ws')) {
          log('case ws'); record('ws', await wsCase(gateway, ctx, false))
          log('case ws exclude=cutouts'); record('ws_exclude_cutouts', await wsCase(gateway, ctx, true))
        }
        if (args.only.has('rest')) {
          log('case rest'); record('rest', await restCase(gateway, ctx, false))
          log('case rest exclude=cutouts'); record('rest_exclude_cutouts', await restCase(gateway, ctx, true))
        }
        if (args.only.has('fanout')) {
          log('case fan-out')
          const result = await fanoutCase(gateway, ctx)
          cases.fanout = result
          fanout = result.points
          if (result.error !== undefined) errors.push(`fanout: ${result.error}`)
        }
        if (args.only.has('latency')) {
          log(`case latency (${plan.latencyRate} alerts/s)`)
          latency = await latencyCase(gateway, ctx)
          cases.latency = latency
          if (latency.error !== undefined) errors.push(`latency: ${latency.error}`)
          log(`latency: p50 ${latency.p50 ?? '?'} ms, p99 ${latency.p99 ?? '?'} ms`)
        }
      } finally {
        await gateway.stop()
      }
    }
  }
  if (args.only.has('sessions')) {
    log(`case idle sessions (${plan.idleSessions.join(', ')})`)
    try {
      sessions = await sessionsCase(ctx, {})
      cases.idle_sessions = sessions
      if (sessions.error !== undefined) errors.push(`idle_sessions: ${sessions.error}`)
      log(`idle sessions: ${sessions.per_session_rss_mb ?? '?'} MB and ${sessions.per_session_threads ?? '?'} threads per session`)
    } catch (err) {
      errors.push(`idle_sessions: ${(err as Error).message}`)
      log(`idle sessions failed: ${(err as Error).message}`)
    }
  }
  if (args.only.has('decode')) {
    log('case decode')
    const result = await decodeCase()
    cases.decode = result
    if (result.error !== undefined) errors.push(`decode: ${result.error}`)
  }

  const ratios = computeRatios({
    kcat: throughput.kcat,
    rdkafka: throughput.rdkafka_count,
    python: throughput.python_client,
    ws: throughput.ws,
    wsExclude: throughput.ws_exclude_cutouts,
    rest: throughput.rest,
    restExclude: throughput.rest_exclude_cutouts,
    fanout
  })
  const latencyMs = latency !== undefined && latency.p50 !== null && latency.p99 !== null ? { p50: latency.p50, p99: latency.p99 } : null
  const idleRss = sessions?.per_session_rss_mb ?? null
  const body = {
    schema_version: 1,
    date,
    mode: runKind,
    duration_s: round((Date.now() - began) / 1000),
    machine,
    data: {
      topic_alerts: plan.alerts,
      partitions: plan.partitions,
      distinct_alerts: source.records.length,
      files: source.files,
      mean_value_kb: round(source.meanValueBytes / 1024),
      mean_key_kb: round(source.meanKeyBytes / 1024),
      key: 'the writer schema as JSON text (Fink\'s first key convention)',
      load_seconds: round(filled.seconds)
    },
    plan,
    gateway: gatewayInfo,
    cases,
    ratios,
    latency_ms: latencyMs,
    idle_session_rss_mb: idleRss,
    targets: checkTargets(ratios, latencyMs?.p99 ?? null, idleRss),
    errors
  }
  const written = await writeResults(join(BENCH_DIR, 'results'), { kind: runKind, date }, body)
  const tablePath = join(BENCH_DIR, 'results', `${runKind === 'full' ? 'latest' : runKind}.md`)
  await writeFile(tablePath, figuresMarkdown(body))
  log(`results: ${written.join(', ')}, ${tablePath}`)
  const image = await plot(python, written[0] as string, join(BENCH_DIR, 'results', `${runKind === 'full' ? 'latest' : runKind}.png`))
  log(image.error === undefined ? `plot: ${image.path}` : `no plot: ${image.error}`)
  log(`ratios: ${JSON.stringify(ratios)}`)
  if (errors.length > 0) log(`cases with errors: ${errors.join('; ')}`)
} catch (err) {
  if (!(err instanceof ProfileDone)) {
    log(`failed: ${(err as Error).stack ?? String(err)}`)
    exitCode = 1
  }
} finally {
  await deleteTopic(kafka.brokers, topic).catch(() => {})
  await kafka.stop()
}
process.exit(exitCode)
