import { test } from 'node:test'
import assert from 'node:assert/strict'
import { histogram, median, quantile, ratio, round, steadyRate, summarise } from '../../bench/stats.js'

test('quantile interpolates between order statistics, whatever the input order', () => {
  assert.equal(quantile([4, 1, 3, 2], 0), 1)
  assert.equal(quantile([4, 1, 3, 2], 1), 4)
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5)
  assert.equal(quantile([10, 20], 0.25), 12.5)
  assert.equal(median([7]), 7)
})

test('quantile refuses no values and a q outside [0, 1]', () => {
  assert.throws(() => quantile([], 0.5), RangeError)
  assert.throws(() => quantile([1], 1.5), RangeError)
  assert.throws(() => quantile([1], Number.NaN), RangeError)
})

test('summarise gives the median and the spread of the runs', () => {
  assert.deepEqual(summarise([3, 1, 2, 5, 4]), { runs: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4 })
  assert.throws(() => summarise([]), RangeError)
})

test('ratio is null, not 0 or Infinity, when it cannot be computed', () => {
  assert.equal(ratio(10, 4), 2.5)
  assert.equal(ratio(null, 4), null)
  assert.equal(ratio(4, undefined), null)
  assert.equal(ratio(4, 0), null)
  assert.equal(ratio(Number.NaN, 2), null)
})

test('round keeps three significant digits below 100 and whole numbers above', () => {
  assert.equal(round(1234.56), 1235)
  assert.equal(round(0.123456), 0.123)
  assert.equal(round(12.3456), 12.3)
  assert.equal(round(0), 0)
  assert.equal(round(-5.5555), -5.56)
})

test('histogram counts fixed-width bins from 0 and puts everything above in the last one', () => {
  assert.deepEqual(histogram([0, 0.5, 1, 2.2, 99, -1], 1, 3), { bin: 1, counts: [3, 1, 2] })
  assert.throws(() => histogram([1], 0, 3), RangeError)
})

test('steadyRate leaves out the first delivery and start-up time', () => {
  assert.equal(steadyRate({ alerts: 1001, firstBatch: 1, firstMs: 1000, lastMs: 2000 }), 1000)
  assert.equal(steadyRate({ alerts: 300, firstBatch: 100, firstMs: 0, lastMs: 500 }), 400)
  assert.equal(steadyRate({ alerts: 1, firstBatch: 1, firstMs: 5, lastMs: 5 }), null)
})
