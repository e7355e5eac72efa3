/**
 * Baselines on the same topic: kcat (C, librdkafka, no decoding), a count-only node-rdkafka
 * consumer (the gateway's Kafka settings, no decoding) and Fink's Python client (decoding).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR, nodeClientArgs, runChild } from '../child.js'
import type { DrainFigures } from '../clients/common.js'
import { nowMs } from '../clients/common.js'
import type { BenchContext } from '../context.js'
import { runFigures, throughputCase, type RunFigures, type ThroughputCase } from '../figures.js'
import { round } from '../stats.js'

const RUN_TIMEOUT_MS = 300_000

/** Runs a case `runs` times; the first failure ends it and is recorded with the runs so far. */
export async function repeat (ctx: BenchContext, name: string, run: (index: number) => Promise<RunFigures>): Promise<{ runs: RunFigures[], error?: string }> {
  const runs: RunFigures[] = []
  for (let i = 0; i < ctx.plan.runs; i++) {
    try {
      const figures = await run(i)
      runs.push(figures)
      const cpu = figures.gateway_cpu_us_per_alert !== undefined
        ? `, gateway CPU ${figures.gateway_cpu_us_per_alert} µs/alert`
        : figures.client_cpu_us_per_alert !== undefined ? `, client CPU ${figures.client_cpu_us_per_alert} µs/alert` : ''
      ctx.log(`  ${name} run ${i + 1}: ${figures.alerts} alerts, ${figures.rate ?? '?'} alerts/s (wall ${figures.wall_rate ?? '?'})${cpu}`)
    } catch (err) {
      const error = (err as Error).message
      ctx.log(`  ${name} run ${i + 1} failed: ${error}`)
      return { runs, error }
    }
  }
  return { runs }
}

/**
 * kcat reads the topic from the beginning to its end (-e); it prints only each message's offset
 * (-f '%o\n', unbuffered) so the bench can count messages and time the first and the last
 * without kcat writing the payloads anywhere.
 */
function kcatRun (ctx: BenchContext): Promise<DrainFigures> {
  return new Promise((resolve, reject) => {
    const figures: DrainFigures = { alerts: 0, firstBatch: 1, startMs: nowMs(), firstMs: 0, lastMs: 0 }
    const child = spawn('kcat', ['-C', '-b', ctx.brokers, '-t', ctx.topic, '-o', 'beginning', '-e', '-q', '-u', '-f', '%o\\n'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.stdout.on('data', (chunk: Buffer) => {
      const at = nowMs()
      let lines = 0
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++
      if (lines === 0) return
      if (figures.alerts === 0) figures.firstMs = at
      figures.alerts += lines
      figures.lastMs = at
    })
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(figures)
      else reject(new Error(`kcat exited with ${code ?? signal}: ${stderr.trim()}`))
    })
  })
}

export async function kcatCase (ctx: BenchContext): Promise<ThroughputCase> {
  const { runs, error } = await repeat(ctx, 'kcat', async () => {
    const figures = await kcatRun(ctx)
    if (figures.alerts !== ctx.plan.alerts) throw new Error(`kcat read ${figures.alerts} messages, expected ${ctx.plan.alerts}`)
    return runFigures(figures)
  })
  return throughputCase('kcat -C -o beginning -e (offsets only to a pipe): no decoding, no group', ctx.plan.alerts, runs, [], error)
}

export async function rdkafkaCase (ctx: BenchContext, settings: 'gateway' | 'defaults'): Promise<ThroughputCase> {
  const { runs, error } = await repeat(ctx, `rdkafka-count (${settings} settings)`, async (i) => {
    const figures = await runChild(process.execPath, nodeClientArgs('rdkafka-count.ts', {
      brokers: ctx.brokers, topic: ctx.topic, group: `bench-rdkafka-${settings}-${ctx.runId}-${i}`, alerts: ctx.plan.alerts, batch: 1000, settings, timeoutMs: RUN_TIMEOUT_MS - 10_000
    }), { timeoutMs: RUN_TIMEOUT_MS }) as DrainFigures & { cpuMs: number }
    if (figures.alerts < ctx.plan.alerts) throw new Error(`read ${figures.alerts} of ${ctx.plan.alerts} alerts`)
    return { ...runFigures(figures), client_cpu_us_per_alert: round((figures.cpuMs * 1000) / figures.alerts) }
  })
  const what = settings === 'gateway'
    ? 'node-rdkafka consume(1000) loop, count only, the gateway\'s consumer settings (src/kafka/consumer-options.ts), own process'
    : 'node-rdkafka consume(1000) loop, count only, librdkafka\'s default consumer settings (64 MB prefetch), own process'
  return throughputCase(what, ctx.plan.alerts, runs, [], error)
}

export async function pythonCase (ctx: BenchContext): Promise<ThroughputCase & { client: string | null }> {
  const { python } = ctx
  if (python.python === null || python.consumer === null) {
    return { ...throughputCase('Python client', ctx.plan.pythonAlerts, [], python.notes, 'no Python consumer could be installed'), client: null }
  }
  const script = python.consumer === 'fink-client' ? 'finkclient_consume.py' : 'fastavro_consume.py'
  const pythonPath = python.python
  const { runs, error } = await repeat(ctx, python.consumer, async (i) => {
    const figures = await runChild(pythonPath, [join(BENCH_DIR, 'python', script), JSON.stringify({
      brokers: ctx.brokers, topic: ctx.topic, group: `bench-python-${ctx.runId}-${i}`, alerts: ctx.plan.pythonAlerts, timeoutMs: RUN_TIMEOUT_MS - 10_000
    })], { timeoutMs: RUN_TIMEOUT_MS }) as DrainFigures
    if (figures.alerts < ctx.plan.pythonAlerts) throw new Error(`read ${figures.alerts} of ${ctx.plan.pythonAlerts} alerts`)
    return runFigures(figures)
  })
  const what = python.consumer === 'fink-client'
    ? `fink-client ${python.consumerVersion ?? ''} AlertConsumer.consume(100): decodes each alert (parses the key's schema every message, as fink-client does)`
    : `confluent-kafka + fastavro (${python.consumerVersion ?? ''}), schema parsed once: fink-client could not be installed`
  return { ...throughputCase(what, ctx.plan.pythonAlerts, runs, python.notes, error), client: `${python.consumer} ${python.consumerVersion ?? ''}`.trim() }
}
