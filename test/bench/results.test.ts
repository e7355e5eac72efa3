import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkTargets, computeRatios, resultFileNames, writeResults } from '../../bench/results.js'
import { runFigures, throughputCase } from '../../bench/figures.js'
import { parseProcStatCpuMs, parseProcStatus } from '../../bench/gateway.js'

const drain = (alerts: number, seconds: number) => runFigures({ alerts: alerts + 1, firstBatch: 1, startMs: 0, firstMs: 500, lastMs: 500 + seconds * 1000 })

test('runFigures turns a drain into steady and wall rates', () => {
  const figures = runFigures({ alerts: 1001, firstBatch: 1, startMs: 0, firstMs: 1000, lastMs: 2000, bytes: 2 * 1024 * 1024, errors: 2 })
  assert.equal(figures.rate, 1000)
  assert.equal(figures.wall_rate, 501)
  assert.equal(figures.first_alert_ms, 1000)
  assert.equal(figures.mb_per_s, 1)
  assert.equal(figures.error_items, 2)
})

test('throughputCase summarises its runs and keeps the error of a failed run', () => {
  const c = throughputCase('x', 100, [drain(100, 1), drain(300, 1), drain(200, 1)], [], 'run 4 failed')
  assert.equal(c.rate?.median, 200)
  assert.equal(c.rate?.min, 100)
  assert.equal(c.rate?.max, 300)
  assert.equal(c.error, 'run 4 failed')
  assert.equal(throughputCase('y', 1, []).rate, null)
})

test('computeRatios divides medians and leaves a missing case null', () => {
  const ratios = computeRatios({
    kcat: throughputCase('kcat', 1, [drain(4000, 1)]),
    rdkafka: throughputCase('rdkafka', 1, [drain(2000, 1)]),
    python: throughputCase('python', 1, [drain(100, 1)]),
    ws: throughputCase('ws', 1, [drain(1000, 1)]),
    fanout: [
      { clients: 1, total: { runs: 1, median: 100, min: 100, max: 100, q1: 100, q3: 100 }, per_client: null },
      { clients: 10, total: { runs: 1, median: 600, min: 600, max: 600, q1: 600, q3: 600 }, per_client: null }
    ]
  })
  assert.equal(ratios.ws_vs_rdkafka, 0.5)
  assert.equal(ratios.ws_vs_kcat, 0.25)
  assert.equal(ratios.ws_vs_finkclient, 10)
  assert.equal(ratios.fanout10_vs_1, 6)
  assert.equal(ratios.rest_vs_rdkafka, null)
  assert.equal(ratios.fanout50_vs_1, null)
  const targets = checkTargets(ratios, 60, null)
  assert.equal(targets.ws_vs_rdkafka.met, true)
  assert.equal(targets.latency_p99_ms.met, false)
  assert.equal(targets.idle_session_rss_mb.met, null)
})

test('a full run writes latest and a dated copy; quick and partial runs only their own file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-results-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  assert.deepEqual(resultFileNames('quick', new Date('2026-11-26T04:00:00Z')), ['quick.json'])
  assert.deepEqual(resultFileNames('partial', new Date('2026-11-26T04:00:00Z')), ['partial.json'])
  const written = await writeResults(dir, { kind: 'full', date: '2026-11-26T04:00:00Z' }, { a: 1 })
  assert.deepEqual(written.map((p) => p.slice(dir.length + 1)), ['latest.json', '2026-11-26.json'])
  assert.deepEqual(JSON.parse(await readFile(join(dir, '2026-11-26.json'), 'utf8')), { a: 1 })
  assert.deepEqual((await readdir(dir)).sort(), ['2026-11-26.json', 'latest.json'])
})

test('parseProcStatus reads resident memory and threads', () => {
  const status = 'Name:\tnode\nVmRSS:\t  102400 kB\nThreads:\t11\n'
  assert.deepEqual(parseProcStatus(status), { rssMb: 100, threads: 11 })
  assert.throws(() => parseProcStatus('Name:\tnode\n'))
})

test('parseProcStatCpuMs adds user and system ticks, even with spaces in the command name', () => {
  const stat = '4242 (node server (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 0 0'
  assert.equal(parseProcStatCpuMs(stat), 3000)
})
