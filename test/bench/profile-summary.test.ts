import { test } from 'node:test'
import assert from 'node:assert/strict'
import { areaOf, profileMarkdown, summariseProfile, type CpuProfile } from '../../bench/profile-summary.js'

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 })

// root → (idle), decode (src/avro/body-reader), itemJson (src/avro/item-json), send (ws)
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 5] },
    { id: 2, callFrame: frame('(idle)', '') },
    { id: 3, callFrame: frame('readRecord', 'file:///repo/src/avro/body-reader.js', 41) },
    { id: 4, callFrame: frame('itemJson', 'file:///repo/src/avro/item-json.js', 9) },
    { id: 5, callFrame: frame('sendFrame', 'file:///repo/node_modules/ws/lib/sender.js', 99) }
  ],
  // one sample per ms: 4 idle, 3 decode, 2 item JSON, 1 ws
  samples: [2, 2, 3, 4, 3, 5, 2, 3, 4, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]
}

test('summariseProfile adds self time per function and per area, idle apart', () => {
  const s = summariseProfile(profile, { root: '/repo' })
  assert.equal(s.total_ms, 10)
  assert.equal(s.busy_ms, 6)
  assert.deepEqual(s.top.map((f) => [f.function, f.self_ms, f.self_pct]), [['readRecord', 3, 50], ['itemJson', 2, 33.3], ['sendFrame', 1, 16.7]])
  assert.equal(s.top[0]?.location, '/src/avro/body-reader.js:42')
  assert.deepEqual(s.areas.map((a) => [a.area, a.self_ms]), [['idle', 4], ['avro: decoding', 3], ['avro: item JSON', 2], ['ws (WebSocket framing)', 1]])
})

test('a window keeps only the samples taken inside it', () => {
  // samples end at 1, 2, … 10 ms; 3 to 6 ms keeps samples 3..6: decode, item JSON, decode, ws
  const s = summariseProfile(profile, { fromMs: 3, toMs: 6 })
  assert.equal(s.total_ms, 4)
  assert.deepEqual(s.top.map((f) => [f.function, f.self_ms]), [['readRecord', 2], ['itemJson', 1], ['sendFrame', 1]])
})

test('areaOf tells garbage collection, Kafka client and built-ins apart', () => {
  assert.equal(areaOf(frame('(garbage collector)', '')), 'garbage collection')
  assert.equal(areaOf(frame('consume', 'file:///x/node_modules/node-rdkafka/lib/kafka-consumer.js')), 'node-rdkafka (JS side)')
  assert.equal(areaOf(frame('stringify', '')), 'built-ins (JSON, strings, Buffer…)')
  assert.equal(areaOf(frame('writeGeneric', 'node:internal/stream_base_commons')), 'node internals (streams, net, buffers)')
})

test('profileMarkdown renders both tables without the idle row', () => {
  const text = profileMarkdown(summariseProfile(profile))
  assert.match(text, /\| avro: decoding \| 3 \| 50 \|/)
  assert.match(text, /\| `readRecord` \|/)
  assert.doesNotMatch(text, /\| idle \|/)
})
