/**
 * SIGTERM with 200 sessions open (150 WebSocket streams, 50 REST sessions with a long-poll in
 * flight) on the real server process: readiness stops answering 200 at once, every stream is
 * closed with 1001, every long-poll is answered with what it had, what each client received is
 * committed (no more, no less), and the process exits 0 within 25 s. Runs in
 * `npm run test:faults` (one file at a time): 200 consumers load the broker.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import rdkafka from 'node-rdkafka'
import WebSocket from 'ws'
import { KAFKA_BROKERS, uniqueName } from '../helpers/app.js'
import { topicWithAlerts } from '../kafka/kafka-helpers.js'

const root = join(import.meta.dirname, '..', '..')
const WS_SESSIONS = 150
const REST_SESSIONS = 50
const EXIT_DEADLINE_MS = 25000
const ALERT_FILES = ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro'].map((f) => join(root, 'data', 'alerts', f))
const EXTRA_FILES = ['ZTF19acyjzeo.avro'].map((f) => join(root, 'data', 'alerts', f))

interface Stream { groupId: string, alerts: number, closed: Promise<number>, ws: WebSocket }

function openStream (port: number, topic: string, groupId: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=${topic}&group_id=${groupId}&start=earliest`)
    const stream: Stream = {
      groupId,
      alerts: 0,
      ws,
      closed: new Promise((resolve) => { ws.on('close', (code) => { resolve(code) }) })
    }
    ws.on('message', (data) => { if (data.toString('utf8', 0, 16).startsWith('{"type":"alert"')) stream.alerts++ })
    ws.once('open', () => { resolve(stream) })
    ws.once('error', reject)
  })
}

interface LongPoll { groupId: string, result: Promise<{ status: number | string, alerts: number }> }

function consume (port: number, topic: string, groupId: string, numAlerts: number, timeoutSeconds: number): LongPoll {
  const path = `/consume?topics=${topic}&group_id=${groupId}&num_alerts=${numAlerts}&timeout=${timeoutSeconds}`
  const result = new Promise<{ status: number | string, alerts: number }>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => {
        const parsed = res.statusCode === 200 ? JSON.parse(body) as { alerts: unknown[] } : { alerts: [] }
        resolve({ status: res.statusCode ?? 0, alerts: parsed.alerts.length })
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve({ status: err.code ?? err.message, alerts: 0 }) })
    req.end()
  })
  return { groupId, result }
}

async function committedOffset (groupId: string, topic: string): Promise<number> {
  const consumer = new rdkafka.KafkaConsumer({ 'bootstrap.servers': KAFKA_BROKERS, 'group.id': groupId, 'enable.auto.commit': false }, {})
  await new Promise<void>((resolve, reject) => { consumer.connect({ timeout: 10000 }, (err) => { if (err) reject(err); else resolve() }) })
  try {
    return await new Promise<number>((resolve, reject) => {
      consumer.committed([{ topic, partition: 0 }], 10000, (err, partitions) => {
        if (err) reject(err); else resolve(partitions[0]?.offset ?? -1)
      })
    })
  } finally {
    await new Promise<void>((resolve) => { consumer.disconnect(() => { resolve() }) })
  }
}

async function statusOf (port: number, path: string): Promise<number | string> {
  return await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? 'error') })
    req.end()
  })
}

/** fink_gateway_sessions_open by transport, from the server's own /metrics. */
async function sessionsOpen (port: number): Promise<{ ws: number, rest: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => { resolve(body) })
    })
    req.on('error', reject)
    req.end()
  })
  const value = (transport: string): number => Number(new RegExp(`^fink_gateway_sessions_open\\{transport="${transport}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
  return { ws: value('ws'), rest: value('rest') }
}

async function waitFor (what: string, done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

test('SIGTERM with 200 sessions open: 1001 for every stream, long-polls answered, commits kept, exit 0 within 25 s', { timeout: 180000 }, async (t) => {
  const { topic, count } = await topicWithAlerts(t, 'ftest_shutdown', ALERT_FILES)
  assert.equal(count, ALERT_FILES.length)

  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MAX_SESSIONS: '1000',
      MAX_SESSIONS_PER_PRINCIPAL: '1000',
      RATE_LIMIT_PER_SECOND: '100000',
      SHUTDOWN_GRACE_SECONDS: '20',
      UV_THREADPOOL_SIZE: '64'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  let streams: Stream[] = []
  let polls: LongPoll[] = []
  let total = 0
  let restAnswers: number[] = []
  try {
    await waitFor('the server to listen', () => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(output), 30000)
    const port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])
    await waitFor('readiness', () => output.includes('"msg":"kafka reachable"'), 15000)

    const prefix = uniqueName('shutdown')
    streams = []
    for (let i = 0; i < WS_SESSIONS; i += 25) {
      streams.push(...await Promise.all(Array.from({ length: Math.min(25, WS_SESSIONS - i) }, async (_, j) => await openStream(port, topic, `${prefix}_ws_${i + j}`))))
    }
    await waitFor(`every stream to receive the ${count} alerts`, () => streams.every((s) => s.alerts === count), 60000)

    // REST sessions: each group reads the topic once (committed after the response), then
    // sends a long-poll that waits for more than will come: in flight when SIGTERM arrives
    const first = await Promise.all(Array.from({ length: REST_SESSIONS }, async (_, i) => await consume(port, topic, `${prefix}_rest_${i}`, count, 30).result))
    assert.deepEqual(first.filter((a) => a.status !== 200 || a.alerts !== count), [], 'every REST session read the topic')
    polls = Array.from({ length: REST_SESSIONS }, (_, i) => consume(port, topic, `${prefix}_rest_${i}`, 1000, 40))
    // a session serves one request at a time: 409 means the long-poll holds it now (the pause
    // first lets the long-polls reach the server, so that no check takes a session before them)
    await sleep(1000)
    const inFlight = Date.now() + 30000
    for (const poll of polls) {
      let status = await statusOf(port, `/poll?topics=${topic}&group_id=${poll.groupId}&timeout=1`)
      while (status !== 409 && Date.now() < inFlight) {
        await sleep(100)
        status = await statusOf(port, `/poll?topics=${topic}&group_id=${poll.groupId}&timeout=1`)
      }
      assert.equal(status, 409, `the long-poll of ${poll.groupId} is in flight`)
    }
    assert.deepEqual(await sessionsOpen(port), { ws: WS_SESSIONS, rest: REST_SESSIONS }, 'sessions open before SIGTERM')

    // more alerts while everything is open: streams send them, long-polls hold them
    const { replayFiles } = await import('../../scripts/replay.js')
    const more = await replayFiles({ paths: EXTRA_FILES, topic, brokers: KAFKA_BROKERS, key: 'schema', partitions: 1 })
    total = count + more.delivered
    await waitFor(`every stream to receive the ${total} alerts`, () => streams.every((s) => s.alerts === total), 30000)

    const signalled = Date.now()
    child.kill('SIGTERM')
    await waitFor('the shutdown to start', () => output.includes('"msg":"shutdown requested"'), 5000)
    assert.notEqual(await statusOf(port, '/readyz'), 200, 'readiness must not answer 200 once shutdown has started')

    const code = await Promise.race([exited, sleep(EXIT_DEADLINE_MS + 5000).then(() => 'still running' as const)])
    const elapsed = Date.now() - signalled
    assert.equal(code, 0, `exit code ${String(code)}\n${output.split('\n').filter((l) => /"level":[456]0/.test(l)).join('\n')}`)
    assert.ok(elapsed <= EXIT_DEADLINE_MS, `exited ${elapsed} ms after SIGTERM`)
    t.diagnostic(`exit 0 ${elapsed} ms after SIGTERM with ${WS_SESSIONS} streams and ${REST_SESSIONS} long-polls`)

    const codes = await Promise.all(streams.map(async (s) => await s.closed))
    assert.deepEqual([...new Set(codes)], [1001], 'every stream is closed with 1001 (going away)')
    const answers = await Promise.all(polls.map(async (p) => await p.result))
    assert.deepEqual(answers.filter((a) => a.status !== 200), [], 'every long-poll in flight is answered 200 with what it had')
    restAnswers = answers.map((a) => a.alerts)
  } catch (err) {
    // the server's own account of what happened, for whoever reads the failure
    const tail = output.split('\n').filter((l) => !/"level":30/.test(l)).slice(-40).join('\n')
    throw new Error(`${(err as Error).message}\n--- server output (warnings and errors) ---\n${tail}`, { cause: err })
  }

  // what each client received is committed, no more and no less (sampled: one consumer per look-up)
  for (const s of streams.slice(0, 10)) assert.equal(await committedOffset(s.groupId, topic), s.alerts, `stream group ${s.groupId}`)
  for (const [i, p] of polls.slice(0, 10).entries()) {
    assert.equal(await committedOffset(p.groupId, topic), count + (restAnswers[i] ?? 0), `REST group ${p.groupId}`)
  }
  assert.ok(streams.every((s) => s.alerts === total))
})
