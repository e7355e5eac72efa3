import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { Gauge, Registry } from 'prom-client'
import { sampleConsumerLag } from '../../src/routes/metrics.js'
import { buildApp, uniqueName } from '../helpers/app.js'

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
  const topic = uniqueName('ftest_metrics')
  const probe = uniqueName('unknown-page')
  await app.inject({ url: '/healthz' })
  await app.inject({ url: '/readyz' })
  await app.inject({ url: '/docs/json' })
  await app.inject({ url: `/${probe}/123?group_id=${groupId}` })
  for (const url of ['/poll', '/consume']) {
    if (app.hasRoute({ method: 'GET', url })) await app.inject({ url: `${url}?topics=${topic}&group_id=${groupId}&timeout=0.5` })
  }

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
  const routes = new Set(samples.filter((s) => s.name === 'fink_gateway_http_request_duration_seconds_count').map((s) => s.labels.route))
  assert.ok(routes.has('/healthz') && routes.has('/readyz') && routes.has('/docs/json'), [...routes].join(', '))
  assert.ok(routes.has('(unmatched)'), 'an unknown URL is counted under (unmatched)')
})

test('consumer lag is the largest lag per topic among sessions, and topics nobody reads disappear', async () => {
  const registry = new Registry()
  const gauge = new Gauge({ name: 'lag_test', help: 'test', labelNames: ['topic'] as const, registers: [registry] })
  const session = (lags: Array<{ topic: string, lag: number }>): { lag: () => Promise<typeof lags> } => ({ lag: async () => lags })
  const failing = { lag: async (): Promise<never> => { throw new Error('watermarks timed out') } }
  await sampleConsumerLag({ list: () => [session([{ topic: 'a', lag: 3 }, { topic: 'b', lag: 0 }]), session([{ topic: 'a', lag: 7 }]), failing] }, gauge)
  const values = (await gauge.get()).values.map((v) => [v.labels.topic, v.value])
  assert.deepEqual(values.sort(), [['a', 7], ['b', 0]])
  await sampleConsumerLag({ list: () => [session([{ topic: 'b', lag: 2 }])] }, gauge)
  assert.deepEqual((await gauge.get()).values.map((v) => [v.labels.topic, v.value]), [['b', 2]])
})
