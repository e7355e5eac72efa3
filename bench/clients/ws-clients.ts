/**
 * WebSocket clients of the gateway, in a process of their own so they never share the
 * gateway's event loop. Three modes:
 * - drain: k clients (one group each) read the topic from the start; the figures cover the
 *   window from the moment every client has its first alert until windowMs passes or one
 *   client has read everything, so all k are measured over the same stretch of time;
 * - latency: one client at start=latest records (receipt time − Kafka timestamp) per alert
 *   until SIGTERM;
 * - idle: k clients at start=latest open their sessions, print "ready", and hold them until
 *   SIGTERM.
 * Clients only count frames (no JSON parsing, no UTF-8 check): the cost measured is the
 * gateway's.
 */
import WebSocket from 'ws'
import { clientOptions, nowMs, report } from './common.js'

interface Options {
  mode: 'drain' | 'latency' | 'idle'
  /** ws://127.0.0.1:PORT/ws?topics=…, without group_id (each client adds its own). */
  url: string
  clients: number
  groupPrefix: string
  /** drain: alerts in the topic (a client that has them all ends the window). */
  alerts?: number
  /** drain: the longest measuring window. */
  windowMs?: number
  /** idle: connections opened at once. */
  openConcurrency?: number
  timeoutMs: number
}

interface Client {
  socket: WebSocket
  alerts: number
  errorItems: number
  bytes: number
  firstMs: number
  lastMs: number
  /** alerts at the window's start. */
  atWindowStart: number
}

const opts = clientOptions<Options>()
const ALERT_PREFIX = Buffer.from('{"type":"alert"')
const ERROR_PREFIX = Buffer.from('{"type":"error"')
const ERROR_ITEM_MARK = Buffer.from('"schema":null')
const HEAD_BYTES = 512

let failure: string | null = null
const failed = (): boolean => failure !== null
const fail = (message: string): void => {
  if (failure === null) failure = message
  finish()
}

function open (index: number, onAlert: (client: Client, frame: Buffer) => void): Client {
  const url = `${opts.url}&group_id=${encodeURIComponent(`${opts.groupPrefix}-${index}`)}`
  const socket = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 64 * 1024 * 1024 })
  const client: Client = { socket, alerts: 0, errorItems: 0, bytes: 0, firstMs: 0, lastMs: 0, atWindowStart: 0 }
  socket.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return
    if (data.subarray(0, ALERT_PREFIX.length).equals(ALERT_PREFIX)) {
      if (data.subarray(0, HEAD_BYTES).includes(ERROR_ITEM_MARK)) client.errorItems++
      onAlert(client, data)
    } else if (data.subarray(0, ERROR_PREFIX.length).equals(ERROR_PREFIX)) {
      fail(`client ${index} got an error frame: ${data.subarray(0, 300).toString()}`)
    }
  })
  socket.on('unexpected-response', (req, res) => {
    let body = ''
    res.on('data', (chunk: Buffer) => { body = (body + chunk.toString()).slice(0, 300) })
    res.on('end', () => {
      fail(`client ${index}: HTTP ${res.statusCode ?? '?'} on upgrade: ${body}`)
      // with this listener ws leaves the request open: end it so that the socket closes
      req.destroy()
    })
  })
  socket.on('error', (err) => fail(`client ${index}: ${err.message}`))
  socket.on('close', (code, reason) => {
    if (!finished) fail(`client ${index} closed by the gateway: ${code} ${reason.toString()}`)
  })
  return client
}

let finished = false
let finish: () => void = () => {}
const clients: Client[] = []
const startMs = nowMs()

const done = new Promise<unknown>((resolve) => {
  finish = () => {
    if (finished) return
    finished = true
    resolve(undefined)
  }
})
const timeout = setTimeout(() => fail(`no result within ${opts.timeoutMs} ms`), opts.timeoutMs)

if (opts.mode === 'drain') {
  const target = opts.alerts ?? Number.POSITIVE_INFINITY
  let waitingForFirst = opts.clients
  let windowStartMs = 0
  let windowEndMs = 0
  let windowCounts: number[] = []
  const endWindow = (): void => {
    if (windowEndMs !== 0 || windowStartMs === 0) return
    windowEndMs = nowMs()
    windowCounts = clients.map((c) => c.alerts - c.atWindowStart)
    finish()
  }
  for (let i = 0; i < opts.clients; i++) {
    clients.push(open(i, (client, frame) => {
      const at = nowMs()
      client.bytes += frame.length
      if (client.alerts === 0) {
        client.firstMs = at
        waitingForFirst--
      }
      client.alerts++
      client.lastMs = at
      if (client.alerts === 1 && waitingForFirst === 0) {
        windowStartMs = at
        for (const c of clients) c.atWindowStart = c.alerts
        if (opts.windowMs !== undefined) setTimeout(endWindow, opts.windowMs).unref()
      }
      if (client.alerts >= target) endWindow()
    }))
  }
  await done
  clearTimeout(timeout)
  const seconds = (windowEndMs - windowStartMs) / 1000
  report({
    error: failure,
    clients: opts.clients,
    startMs,
    firstMs: Math.min(...clients.map((c) => c.firstMs || Infinity)),
    windowStartMs,
    windowEndMs,
    windowSeconds: seconds,
    windowAlerts: windowCounts,
    totalAlerts: clients.map((c) => c.alerts),
    bytes: clients.reduce((s, c) => s + c.bytes, 0),
    errorItems: clients.reduce((s, c) => s + c.errorItems, 0)
  })
} else if (opts.mode === 'latency') {
  const samples: Array<[number, number]> = []
  const MAX_SAMPLES = 1_000_000
  clients.push(open(0, (client, frame) => {
    const at = Date.now()
    client.alerts++
    const item = JSON.parse(frame.toString('utf8')) as { timestamp?: number }
    if (typeof item.timestamp === 'number' && samples.length < MAX_SAMPLES) samples.push([item.timestamp, at - item.timestamp])
  }))
  clients[0]?.socket.once('open', () => process.stdout.write('ready\n'))
  process.once('SIGTERM', finish)
  await done
  clearTimeout(timeout)
  report({ error: failure, alerts: clients[0]?.alerts ?? 0, samples })
} else {
  const concurrency = opts.openConcurrency ?? 20
  let opened = 0
  for (let i = 0; i < opts.clients && !failed(); i += concurrency) {
    const wave: Array<Promise<void>> = []
    for (let j = i; j < Math.min(opts.clients, i + concurrency); j++) {
      const client = open(j, () => {})
      clients.push(client)
      wave.push(new Promise((resolve) => {
        client.socket.once('open', () => { opened++; resolve() })
        client.socket.once('close', () => resolve())
      }))
    }
    await Promise.all(wave)
  }
  if (!failed()) {
    process.stdout.write(`ready ${opened}\n`)
    process.once('SIGTERM', finish)
    await done
  }
  clearTimeout(timeout)
  report({ error: failure, opened, alerts: clients.reduce((s, c) => s + c.alerts, 0) })
}

for (const c of clients) c.socket.terminate()
process.exit(0)
