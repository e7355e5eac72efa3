/**
 * A client gone mid-response (REST: the socket destroyed while the body is being written) or
 * before its ack (WebSocket ack=manual, closed without acking): those alerts are delivered
 * again to the group, and what was acknowledged is not.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { Received, WsReader, get, loadAlerts, produceAll, reportFigures, spawnGateway, waitFor, ZTF_FILES, root } from '../helpers/faults.js'
import { join } from 'node:path'

const FILES = [...ZTF_FILES, join(root, 'data', 'alerts', 'avro_multi_alerts.avro')]

/** GET whose socket is destroyed once `cutAfterBytes` of the body have arrived. */
async function cutOffConsume (port: number, path: string, cutAfterBytes: number): Promise<{ status: number, bytes: number }> {
  return await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes >= cutAfterBytes && !res.isPaused()) {
          // stop reading, let the buffers fill, then hang up mid-body
          res.pause()
          setTimeout(() => { req.destroy(); resolve({ status: res.statusCode ?? 0, bytes }) }, 1000)
        }
      })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes }) })
    })
    req.on('error', () => {})
    req.end()
  })
}

test('client gone mid-response or before its ack: those alerts come again', { timeout: 120000 }, async (t) => {
  // ~26 MB of items: more than loopback socket buffers hold, so a cut-off body cannot have
  // been written out in full (what the OS accepted counts as written: the gateway cannot know more)
  const one = await loadAlerts(FILES)
  const alerts = Array.from({ length: 28 }, () => one).flat()
  const topic = await createTopic(t, 'ftest_gone')
  await produceAll(topic, alerts)
  const n = alerts.length
  const gw = await spawnGateway(t)

  // REST: the whole topic in one response, cut off after 64 kB
  const restGroup = uniqueName('gone_rest')
  const query = `topics=${topic}&group_id=${restGroup}&num_alerts=${n}&timeout=10`
  const cut = await cutOffConsume(gw.port, `/consume?${query}`, 65536)
  assert.equal(cut.status, 200)
  // One response holds at most MAX_RESPONSE_RECORD_BYTES (16 MB) of alerts: read them back over
  // as many responses as that takes; each must go on where the last one ended.
  const redeliveredRest: number[] = []
  while (redeliveredRest.length < n) {
    const again = await get(gw.port, `/consume?${query}`)
    assert.equal(again.status, 200)
    const offsets = (JSON.parse(again.body) as { alerts: Array<{ offset: number }> }).alerts.map((a) => a.offset)
    assert.ok(offsets.length > 0, `the re-read stopped after ${redeliveredRest.length} of ${n} alerts`)
    redeliveredRest.push(...offsets)
  }
  assert.deepEqual(redeliveredRest, Array.from({ length: n }, (_, i) => i), 'every alert of the cut-off response comes again, in order')
  // and once delivered in full they are committed: nothing more comes
  const after = await get(gw.port, `/consume?${query.replace('timeout=10', 'timeout=2')}`)
  assert.equal(after.status, 200)
  assert.equal((JSON.parse(after.body) as { alerts: unknown[] }).alerts.length, 0)

  // WebSocket ack=manual: ack the first `acked` alerts, close without acking the rest
  const acked = 4
  const wsGroup = uniqueName('gone_ws')
  const first = new Received()
  const reader = new WsReader({
    port: gw.port,
    query: `topics=${topic}&group_id=${wsGroup}&ack=manual&start=earliest`,
    received: first,
    onAlert: (item, ws) => { if (item.offset < acked) ws.send(JSON.stringify({ type: 'ack', topic: item.topic, partition: item.partition, offset: item.offset })) }
  })
  await reader.opened()
  await waitFor(`the ${n} alerts`, () => first.total >= n, 30000)
  await reader.close()

  const second = new Received()
  const reader2 = new WsReader({ port: gw.port, query: `topics=${topic}&group_id=${wsGroup}&ack=manual`, received: second })
  await reader2.opened()
  await waitFor(`the ${n - acked} unacknowledged alerts`, () => second.total >= n - acked, 30000)
  // anything acknowledged would arrive ahead of them (one partition, in order): wait a moment for extras
  await new Promise((resolve) => setTimeout(resolve, 1500))
  await reader2.close()
  const redeliveredWs = [...second.counts.keys()].map((k) => Number(k.split('/')[2])).sort((a, b) => a - b)
  assert.deepEqual(redeliveredWs, Array.from({ length: n - acked }, (_, i) => acked + i), 'exactly the unacknowledged alerts come again')
  assert.equal(reader.errors.length, 0, reader.errors.join('; '))

  reportFigures('client-gone', {
    alerts: n,
    rest: { bytesReadBeforeCut: cut.bytes, redelivered: redeliveredRest.length, afterFullDelivery: 0 },
    ws: { received: first.total, acked, redelivered: redeliveredWs.length, ackedRedelivered: redeliveredWs.filter((o) => o < acked).length }
  })
})
