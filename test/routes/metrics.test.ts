import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { sampleRestLag } from '../../src/routes/metrics.js'
import { buildApp, uniqueName } from '../helpers/app.js'
import { topicWithAlerts } from '../kafka/kafka-helpers.js'

const LAG_FILES = ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro'].map((f) => join(import.meta.dirname, '..', '..', 'data', 'alerts', f))

/**
 * prom-client's default metrics include three gauges named `…_total`, which promtool's linter
 * reports; the exposition format itself is valid. Everything else must pass promtool cleanly.
 */
const PROM_CLIENT_LINT_EXCEPTIONS = new Set([
  'fink_gateway_nodejs_active_handles_total',
  'fink_gateway_nodejs_active_requests_total',
  'fink_gateway_nodejs_active_resources_total'
])

const FORBIDDEN_LABELS = /^(session|session_id|sessionid|group|group_id|groupid|user|username|principal|client_id|offset|offsets|ticket|ip|remote_address|url|path)$/i

interface Sample { name: string, labels: Record<string, string>, value: string }

function parseSamples (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(match !== null, `unparseable sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = pair[2] ?? ''
    }
    samples.push({ name: match[1] ?? '', labels, value: match[3] ?? '' })
  }
  return samples
}

test('/metrics after some traffic passes promtool and carries no unbounded label', async (t) => {
  const app = await buildApp(t)
  const groupId = uniqueName('metrics_group')
  const { topic, count } = await topicWithAlerts(t, 'ftest_metrics', LAG_FILES)
  const probe = uniqueName('unknown-page')
  await app.inject({ url: '/healthz' })
  await app.inject({ url: '/readyz' })
  await app.inject({ url: '/docs/json' })
  await app.inject({ url: `/${probe}/123?group_id=${groupId}` })
  const consumed = await app.inject({ url: `/consume?topics=${topic}&group_id=${groupId}&num_alerts=${count}&timeout=20` })
  assert.equal(consumed.statusCode, 200)
  await app.inject({ url: `/poll?topics=${topic}&group_id=${groupId}&timeout=0.5` })
  await app.inject({ url: `/poll?topics=${uniqueName('ftest_missing')}&group_id=${groupId}&timeout=0.5` })
  await app.inject({ url: `/alerts/${topic}/0/1` })

  const response = await app.inject({ url: '/metrics' })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  const text = response.body

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  assert.equal(promtool.error, undefined, 'promtool must be installed (Debian package prometheus)')
  const problems = `${promtool.stdout}${promtool.stderr}`.split('\n').filter((l) => l.trim() !== '')
  const unexpected = problems.filter((l) => !PROM_CLIENT_LINT_EXCEPTIONS.has(l.split(' ')[0] ?? ''))
  assert.deepEqual(unexpected, [], `promtool found problems:\n${problems.join('\n')}`)
  assert.ok(promtool.status === 0 || (promtool.status === 3 && problems.length > 0), `promtool exit ${String(promtool.status)}`)

  for (const name of [
    'fink_gateway_sessions_open', 'fink_gateway_alerts_delivered_total', 'fink_gateway_bytes_sent_total',
    'fink_gateway_decode_errors_total', 'fink_gateway_commit_errors_total', 'fink_gateway_http_request_duration_seconds',
    'fink_gateway_consumer_lag', 'fink_gateway_backpressure_pauses_total', 'fink_gateway_slow_client_closes_total',
    'fink_gateway_nodejs_eventloop_lag_seconds', 'fink_gateway_process_cpu_seconds_total', 'fink_gateway_process_resident_memory_bytes'
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is missing`)
  }

  const samples = parseSamples(text)
  assert.ok(samples.length > 50)
  for (const sample of samples) {
    assert.ok(sample.name.startsWith('fink_gateway_'), `${sample.name} lacks the fink_gateway_ prefix`)
    for (const [label, value] of Object.entries(sample.labels)) {
      assert.doesNotMatch(label, FORBIDDEN_LABELS, `${sample.name} has an unbounded label ${label}`)
      for (const secret of [groupId, probe]) {
        assert.ok(!value.includes(secret), `${sample.name}{${label}="${value}"} carries request data`)
      }
    }
  }
  const delivered = samples.find((s) => s.name === 'fink_gateway_alerts_delivered_total' && s.labels.topic === topic && s.labels.transport === 'rest')
  assert.equal(Number(delivered?.value), count, 'the traffic reached Kafka and back')
  const routes = new Set(samples.filter((s) => s.name === 'fink_gateway_http_request_duration_seconds_count').map((s) => s.labels.route))
  assert.ok(routes.has('/alerts/:topic/:partition/:offset'), 'parametric routes are labelled by their pattern')
  assert.ok(routes.has('/healthz') && routes.has('/readyz') && routes.has('/docs/json'), [...routes].join(', '))
  assert.ok(routes.has('(unmatched)'), 'an unknown URL is counted under (unmatched)')
})

test('the lag sampler reports each open REST session, summed over its partitions', async () => {
  const reported: Array<[string, Record<string, number>]> = []
  type Lags = Array<{ topic: string, lag: number }>
  const session = (name: string, transport: string, lags: Lags | Error, closed = false): { name: string, transport: string, closed: boolean, lag: () => Promise<Lags> } => ({
    name,
    transport,
    closed,
    lag: async () => { if (lags instanceof Error) throw lags; return lags }
  })
  const sessions = [
    session('a', 'rest', [{ topic: 't1', lag: 3 }, { topic: 't1', lag: 4 }, { topic: 't2', lag: 0 }]),
    session('b', 'ws', [{ topic: 't1', lag: 100 }]), // streams report their own
    session('c', 'rest', new Error('watermarks timed out')),
    session('d', 'rest', [{ topic: 't3', lag: 9 }], true),
    session('e', 'rest', [])
  ]
  await sampleRestLag({ list: () => sessions, reportLag: (s, perTopic) => { reported.push([s.name, Object.fromEntries(perTopic)]) } })
  assert.deepEqual(reported, [['a', { t1: 7, t2: 0 }]])
})

test('a REST session\'s lag shows in fink_gateway_consumer_lag', async (t) => {
  const app = await buildApp(t)
  const { topic, count } = await topicWithAlerts(t, 'ftest_lag', LAG_FILES)
  const response = await app.inject({ url: `/poll?topics=${topic}&group_id=${uniqueName('lag')}&timeout=20` })
  assert.equal(response.statusCode, 200)
  await sampleRestLag(app.sessions)
  const values = (await app.metrics.consumerLag.get()).values.filter((v) => v.labels.topic === topic)
  assert.deepEqual(values.map((v) => v.value), [count - 1], 'one alert read, the rest behind')
})
