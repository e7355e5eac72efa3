import { test } from 'node:test'
import assert from 'node:assert/strict'
import { figuresMarkdown } from '../../bench/report.js'

const summary = (median: number, min: number, max: number) => ({ runs: 3, median, min, max, q1: min, q3: max })

test('figuresMarkdown renders the cases it has, with spreads, CPU, targets and ratios', () => {
  const text = figuresMarkdown({
    date: '2026-11-26T04:30:00.000Z',
    mode: 'full',
    machine: { cpus: 2, node: 'v20.20.2', kafka: '4.1.1' },
    data: { topic_alerts: 20000, partitions: 4 },
    cases: {
      kcat: { rate: summary(20000, 18000, 25000) },
      ws: { rate: summary(800, 700, 900), gateway_cpu_us_per_alert: summary(1000, 950, 1100) },
      python_client: { rate: summary(700, 600, 800), client: 'fink-client 12.3.0' },
      rest: { rate: null, error: 'HTTP 500' },
      fanout: { points: [{ clients: 10, total: summary(1000, 900, 1100), per_client: summary(100, 90, 110) }] },
      latency: { rate: 300, p50: 12, p90: 30, p99: 45, max: 60 },
      idle_sessions: { points: [{ sessions: 0, rss_mb: 140, threads: 15 }], per_session_rss_mb: 0.5, per_session_threads: 4 }
    },
    ratios: { ws_vs_kcat: 0.04, fanout10_vs_1: null },
    targets: { latency_p99_ms: { target: '<= 50', value: 45, met: true } }
  })
  assert.match(text, /20000 real ZTF alerts in 4 partitions/)
  assert.match(text, /\| kcat \(C, no decoding, no group\) \| 20000 \(18000–25000\) \| – \|/)
  assert.match(text, /\| gateway WebSocket, 1 client \| 800 \(700–900\) \| 1000 \(950–1100\) \(gateway\) \|/)
  assert.match(text, /\| fink-client 12\.3\.0 \(decodes\) \|/)
  assert.match(text, /\| gateway REST \/consume, num_alerts=100 \| failed: HTTP 500 \|/)
  assert.match(text, /fan-out, 10 clients: total \(per client\) \| 1000 \(900–1100\) \(100\)/)
  assert.match(text, /p50 12 ms, p90 30 ms, p99 45 ms, max 60 ms/)
  assert.match(text, /per session 0\.5 MB and 4 threads/)
  assert.match(text, /\| latency p99 ms <= 50 \| 45 \| yes \|/)
  assert.match(text, /ws_vs_kcat 0\.04, fanout10_vs_1 –/)
  assert.doesNotMatch(text, /rdkafka_count/)
})
