import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alertsLost, retentionGaps } from '../../src/cursor/retention-gap.js'
import type { Positions } from '../../src/cursor/positions.js'
import { integer, seededRandom } from '../filter/random.js'

test('alertsLost: low watermark minus the requested offset when it lies before it', () => {
  assert.equal(alertsLost(100, 250), 150)
  assert.equal(alertsLost(0, 1), 1)
  assert.equal(alertsLost(250, 250), 0)
  assert.equal(alertsLost(300, 250), 0)
  assert.equal(alertsLost(0, 0), 0)
  assert.equal(alertsLost(2 ** 40, 2 ** 40 + 7), 7)
})

test('alertsLost: nothing for logical or invalid offsets', () => {
  for (const [requested, low] of [[-1001, 50], [-1, 50], [-2, 50], [10, -1], [NaN, 5], [1.5, 5], [Infinity, 5], [5, Infinity]]) {
    assert.equal(alertsLost(requested as number, low as number), 0, `${requested} ${low}`)
  }
})

test('property: requested + lost never passes the low watermark, and reaches it when something was lost (seeded)', () => {
  const random = seededRandom(11)
  for (let i = 0; i < 1000; i++) {
    const requested = integer(random, 0, 1e6)
    const low = integer(random, 0, 1e6)
    const lost = alertsLost(requested, low)
    assert.ok(lost >= 0)
    assert.equal(requested < low ? requested + lost : low, low)
    if (requested >= low) assert.equal(lost, 0)
  }
})

test('retentionGaps lists the partitions that lost alerts, sorted, with the numbers', () => {
  const requested: Positions = new Map([
    ['ztf', new Map([[1, 500], [0, 10], [2, 0]])],
    ['lsst', new Map([[0, 5]])],
    ['elsewhere', new Map([[0, 0]])]
  ])
  const low: Positions = new Map([
    ['ztf', new Map([[0, 110], [1, 400], [2, 0]])],
    ['lsst', new Map([[0, 6]])]
  ])
  assert.deepEqual(retentionGaps(requested, low), [
    { topic: 'lsst', partition: 0, requested: 5, low: 6, lost: 1 },
    { topic: 'ztf', partition: 0, requested: 10, low: 110, lost: 100 }
  ])
  assert.deepEqual(retentionGaps(new Map(), low), [])
  assert.deepEqual(retentionGaps(requested, new Map()), [], 'a partition without a known low watermark is not reported')
})
