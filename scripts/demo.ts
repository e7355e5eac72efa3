/**
 * `npm run demo`: a working gateway on http://localhost:8080 with real Fink alerts.
 *
 * 1. Unless KAFKA_BROKERS is set, starts the project's local Kafka (scripts/kafka.ts).
 * 2. Replays the shipped alerts (data/alerts) once into a few topics named like Fink's
 *    livestream and Data Transfer topics, so there is something to read at once.
 * 3. Starts the gateway (src/server.ts's buildServer) on PORT (8080) and prints the URLs and
 *    a curl line to try.
 * 4. Keeps replaying slowly (about 2 alerts/s over all topics, looping) so the dashboard moves.
 * Ctrl-C (or SIGTERM) stops the replay, the gateway and the Kafka it started — nothing else.
 *
 * The steps are exported (setUpDemo, replaySlowly, startGateway) so test/scripts/demo.test.ts
 * can run them briefly against the test Kafka.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { LOCAL_PLAINTEXT, startKafka, stopKafka } from './kafka.js'
import { replayFiles } from './replay.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/logger.js'
import { buildServer } from '../src/server.js'

export const ALERTS_DIR = join(import.meta.dirname, '..', 'data', 'alerts')

/** Demo topics and the shipped files each one replays. */
export const DEMO_TOPICS: ReadonlyArray<{ topic: string, files: readonly string[] }> = [
  { topic: 'fink_sn_candidates_ztf', files: ['avro_multi_alerts.avro'] },
  { topic: 'fink_early_sn_candidates_ztf', files: ['sample-part-00001.avro'] },
  { topic: 'fink_kn_candidates_ztf', files: ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro', 'ZTF19acyjzeo.avro'] },
  { topic: 'ftransfer_ztf_2026-03-23_demo', files: ['ftransfer-ztf-2026-03-23-part-3.avro'] },
  { topic: 'ftransfer_lsst_2026-03-18_demo', files: ['ftransfer-lsst-2026-03-18-part-2.avro'] },
  { topic: 'ftest_elasticc', files: ['elasticc-alert-obj747.avro.gz'] }
]

/** Alerts per second of the slow replay, over all topics together. */
export const SLOW_RATE = 2

export interface DemoSetup {
  brokers: string
  startedKafka: boolean
  /** topic name → alerts replayed into it by the first pass. */
  topics: Map<string, number>
}

/** Steps 1 and 2: Kafka (started unless `brokers` is given) and one fast pass of every demo topic. */
export async function setUpDemo (opts: { brokers?: string | undefined, topicSuffix?: string, say?: (line: string) => void } = {}): Promise<DemoSetup> {
  const say = opts.say ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  let brokers = opts.brokers
  let startedKafka = false
  if (brokers === undefined || brokers === '') {
    say('starting the local Kafka (first run downloads its jars; this can take a minute)…')
    startedKafka = (await startKafka()).started
    brokers = LOCAL_PLAINTEXT
  }
  const topics = new Map<string, number>()
  try {
    for (const { topic, files } of DEMO_TOPICS) {
      const name = `${topic}${opts.topicSuffix ?? ''}`
      const result = await replayFiles({ topic: name, brokers, paths: files.map((f) => join(ALERTS_DIR, f)), key: 'schema' })
      topics.set(name, result.delivered)
      say(`  ${name}: ${result.delivered} alerts`)
    }
  } catch (err) {
    if (startedKafka) await stopKafka()
    throw err
  }
  return { brokers, startedKafka, topics }
}

/** Step 4: replays every demo topic in a loop, SLOW_RATE alerts/s in all, until `signal` aborts. */
export function replaySlowly (setup: DemoSetup, signal: AbortSignal, onError: (err: unknown) => void): Promise<unknown> {
  const names = [...setup.topics.keys()]
  const perTopic = SLOW_RATE / names.length
  return Promise.all(names.map(async (name, i) => {
    const files = (DEMO_TOPICS[i]?.files ?? []).map((f) => join(ALERTS_DIR, f))
    await replayFiles({ topic: name, brokers: setup.brokers, paths: files, key: 'schema', rate: perTopic, loop: true, signal })
      .catch((err: unknown) => { if (!signal.aborted) onError(err) })
  }))
}

/** Step 3: the gateway, configured from the environment with the demo's brokers. */
export async function startGateway (brokers: string, env: Record<string, string | undefined> = process.env): Promise<{ app: FastifyInstance, url: string }> {
  const config = loadConfig({ ...env, KAFKA_BROKERS: brokers, KAFKA_SECURITY_PROTOCOL: env.KAFKA_SECURITY_PROTOCOL ?? 'plaintext' })
  const app = await buildServer(config, createLogger(config))
  await app.listen({ port: config.PORT, host: config.HOST })
  const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST
  return { app, url: `http://${shownHost}:${config.PORT}` }
}

async function main (): Promise<void> {
  const say = (line: string): void => { process.stdout.write(`${line}\n`) }
  const setup = await setUpDemo({ brokers: process.env.KAFKA_BROKERS, say })
  const env = { LOG_LEVEL: 'warn', ...process.env }
  let gateway: { app: FastifyInstance, url: string }
  try {
    gateway = await startGateway(setup.brokers, env)
  } catch (err) {
    if (setup.startedKafka) await stopKafka()
    throw err
  }
  const stop = new AbortController()
  const replaying = replaySlowly(setup, stop.signal, (err) => { say(`replay stopped: ${err instanceof Error ? err.message : String(err)}`) })
  const first = [...setup.topics.keys()][0] ?? 'fink_sn_candidates_ztf'
  const url = gateway.url
  say('')
  say(`fink-gateway demo on ${url} (Kafka ${setup.brokers})`)
  say(`  dashboard   ${url}/`)
  say(`  API docs    ${url}/docs`)
  say(`  topics      ${url}/topics`)
  say(`  WebSocket   ${url.replace(/^http/, 'ws')}/ws?topics=${first}&start=earliest`)
  say('try:')
  say(`  curl -s '${url}/consume?topics=${first}&group_id=demo&num_alerts=2&timeout=5&exclude=cutouts'`)
  say(`replaying about ${SLOW_RATE} alerts/s into ${setup.topics.size} topics; Ctrl-C stops everything the demo started`)

  let stopping = false
  const shutdown = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    say('stopping…')
    stop.abort()
    await replaying.catch(() => {})
    await gateway.app.close()
    if (setup.startedKafka) await stopKafka()
    process.exit(0)
  }
  process.once('SIGINT', () => { shutdown().catch(() => process.exit(1)) })
  process.once('SIGTERM', () => { shutdown().catch(() => process.exit(1)) })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
