/**
 * A slow WebSocket client (reads one alert a second) while 200 alerts/s arrive: the gateway's
 * buffer for it stays under WS_MAX_BUFFERED_BYTES plus one frame (the pump stops pulling from
 * Kafka instead), and two fast clients keep at least 90 % of the rate they had in a run
 * without the slow client, measured in the same test. Runs the app in-process (built like the
 * server) to read the stream's own buffer statistics.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp, uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { RateProducer, Received, WsReader, loadAlerts, reportFigures, waitFor } from '../helpers/faults.js'

const RATE = 200
const BOUND = 1024 * 1024
const MEASURE_MS = 10000

/** Alerts per second each of `n` fast clients receives over MEASURE_MS (after a warm-up). */
async function fastRates (port: number, topic: string, n: number, maxFrame: { bytes: number }): Promise<number[]> {
  const counted = Array.from({ length: n }, () => 0)
  let counting = false
  const readers = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const reader = new WsReader({ port, query: `topics=${topic}&start=latest`, received: new Received() })
    reader.ws.on('message', (data: Buffer) => {
      if (data.length > maxFrame.bytes) maxFrame.bytes = data.length
      if (counting) counted[i] = (counted[i] ?? 0) + 1
    })
    await reader.opened()
    return reader
  }))
  await sleep(3000)
  counting = true
  await sleep(MEASURE_MS)
  counting = false
  await Promise.all(readers.map(async (r) => { await r.close() }))
  return counted.map((c) => c / (MEASURE_MS / 1000))
}

test('slow client: its buffer stays under the bound, other clients keep >= 90 % of their rate', { timeout: 120000 }, async (t) => {
  const topic = await createTopic(t, 'ftest_slow')
  const app = await buildApp(t, { WS_MAX_BUFFERED_BYTES: String(BOUND), WS_STALL_SECONDS: '300', MAX_SESSIONS_PER_PRINCIPAL: '100' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const producer = new RateProducer(topic, await loadAlerts(), 1)
  t.after(async () => { await producer.stop().catch(() => {}) })
  await producer.start(RATE)
  const maxFrame = { bytes: 0 }

  const without = await fastRates(port, topic, 2, maxFrame)

  // the slow client: its socket paused, resumed once a second for exactly one alert
  const slowGroup = uniqueName('slow')
  const slowReceived = new Received()
  const slow = new WsReader({
    port,
    query: `topics=${topic}&group_id=${slowGroup}&start=latest`,
    received: slowReceived,
    onAlert: (_item, ws) => { ws.pause() }
  })
  await slow.opened()
  slow.ws.pause()
  const ticker = setInterval(() => { slow.ws.resume() }, 1000)
  t.after(() => { clearInterval(ticker) })
  await sleep(5000) // its buffers fill up first
  const withSlow = await fastRates(port, topic, 2, maxFrame)
  clearInterval(ticker)

  const stream = [...app.wsStreams].find((s) => s.session.groupId === slowGroup)
  assert.ok(stream !== undefined, 'the slow stream is open')
  const stats = { ...stream.stats }
  await slow.close()
  await producer.stop()

  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  const ratio = sum(withSlow) / sum(without)
  reportFigures('slow-client', {
    rate: RATE,
    boundBytes: BOUND,
    maxFrameBytes: maxFrame.bytes,
    slow: { received: slowReceived.total, sentByGateway: stats.sent, maxBufferedBytes: stats.maxBufferedAmount, backpressurePauses: stats.pauses },
    fastRatesWithout: without,
    fastRatesWith: withSlow,
    ratio: Math.round(ratio * 1000) / 1000
  })
  assert.ok(stats.pauses > 0, 'the slow client did hit the bound (else the test shows nothing)')
  assert.ok(stats.maxBufferedAmount <= BOUND + maxFrame.bytes, `buffered ${stats.maxBufferedAmount} > ${BOUND} + ${maxFrame.bytes}`)
  assert.ok(slowReceived.total > 0 && slowReceived.total < 60)
  assert.ok(ratio >= 0.9, `fast clients: ${sum(withSlow)}/s with the slow client, ${sum(without)}/s without`)
  await waitFor('the slow stream to close', () => app.wsStreams.size === 0, 15000)
})
