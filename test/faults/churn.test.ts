/**
 * Churn: 2000 create/read/close cycles on the real server process — half REST sessions (one
 * /consume of one alert, then closed by idle expiry after REST_SESSION_IDLE_SECONDS=1; the API
 * has no DELETE), half WebSocket streams (connect, read one alert, close) — at most
 * CONCURRENCY at a time. Afterwards the sessions gauge is 0 and open file descriptors and
 * threads (/proc/<pid>) are back to the baseline; RSS is back within the tolerance explained in
 * RELIABILITY.md and, the leak check proper, does not grow between the first and second 1000.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { uniqueName } from '../helpers/app.js'
import { createTopic } from '../kafka/kafka-helpers.js'
import { ALLOCATOR_ENV, nativeBudgetMB, Received, WsReader, collectGarbage, get, loadAlerts, metric, produceAll, reportFigures, spawnGateway, steadySample, waitFor, type ProcSample } from '../helpers/faults.js'

const CYCLES = 2000
const CONCURRENCY = 12
const WARM_UP = 200

test('churn: 2000 create/read/close cycles leave sessions, descriptors, threads and memory at baseline', { timeout: 600000 }, async (t) => {
  const topic = await createTopic(t, 'ftest_churn')
  await produceAll(topic, (await loadAlerts()).slice(0, 2))
  const gw = await spawnGateway(t, { REST_SESSION_IDLE_SECONDS: '1', ...ALLOCATOR_ENV }, { inspect: true })
  const prefix = uniqueName('churn')
  const failures: string[] = []

  async function cycle (i: number): Promise<void> {
    const group = `${prefix}_${i}`
    if (i % 2 === 0) {
      const answer = await get(gw.port, `/consume?topics=${topic}&group_id=${group}&num_alerts=1&timeout=10&start=earliest`)
      if (answer.status !== 200 || !answer.body.includes('"offset":0')) failures.push(`rest ${i}: ${answer.status} ${answer.body.slice(0, 200)}`)
      return
    }
    const received = new Received()
    const reader = new WsReader({ port: gw.port, query: `topics=${topic}&group_id=${group}&start=earliest`, received })
    try {
      await reader.opened()
      await waitFor('one alert', () => received.total > 0, 15000, 20)
    } catch (err) {
      failures.push(`ws ${i}: ${(err as Error).message}`)
    } finally {
      await reader.close()
    }
  }

  async function run (from: number, to: number): Promise<number> {
    const began = Date.now()
    let next = from
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) await cycle(next++)
    }))
    return (Date.now() - began) / 1000
  }

  async function settled (): Promise<ProcSample & { heapUsedMB: number }> {
    await waitFor('every session to close', async () => await metric(gw.port, 'fink_gateway_sessions_open') === 0, 60000, 250)
    await sleep(2000)
    const { heapUsedMB } = await collectGarbage(gw)
    await sleep(1000)
    return { ...await steadySample(gw.pid, 5, 1000), heapUsedMB }
  }

  // warm-up: lazily loaded modules, JIT, the allocator's arenas for CONCURRENCY clients at once
  await run(0, WARM_UP)
  const baseline = await settled()
  const firstSeconds = await run(WARM_UP, CYCLES / 2)
  const half = await settled()
  const secondSeconds = await run(CYCLES / 2, CYCLES)
  const end = await settled()
  const opened = await metric(gw.port, 'fink_gateway_sessions_opened_total')

  reportFigures('churn', {
    cycles: CYCLES,
    concurrency: CONCURRENCY,
    cyclesPerSecond: Math.round((CYCLES - WARM_UP) / (firstSeconds + secondSeconds) * 10) / 10,
    sessionsOpened: opened,
    failures: failures.length,
    baseline,
    afterHalf: half,
    end,
    rssChange: Math.round((end.rssMB / baseline.rssMB - 1) * 1000) / 1000,
    allocator: ALLOCATOR_ENV,
    rssGrowthSecondHalf: Math.round((end.rssMB / half.rssMB - 1) * 1000) / 1000
  })
  assert.deepEqual(failures, [])
  assert.ok(opened >= CYCLES, `${opened} sessions opened`)
  assert.ok(end.fds <= baseline.fds + 2, `file descriptors: ${baseline.fds} -> ${end.fds}`)
  assert.ok(end.threads <= baseline.threads + 1, `threads: ${baseline.threads} -> ${end.threads}`)
  // The allocator may keep what the CONCURRENCY clients open at once needed (nativeBudgetMB);
  // a leak grows with the cycles instead: between cycle 1000 and 2000 RSS may grow by at most
  // one consumer's budget, i.e. less than 12 KB per cycle.
  assert.ok(end.rssMB - baseline.rssMB <= nativeBudgetMB(CONCURRENCY), `RSS ${baseline.rssMB} MB -> ${end.rssMB} MB`)
  assert.ok(end.heapUsedMB <= baseline.heapUsedMB * 1.10, `JS heap after GC ${baseline.heapUsedMB} MB -> ${end.heapUsedMB} MB`)
  assert.ok(end.rssMB - half.rssMB <= nativeBudgetMB(1), `RSS grew from ${half.rssMB} MB after 1000 cycles to ${end.rssMB} MB after 2000`)
})
