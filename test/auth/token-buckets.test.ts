import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TokenBuckets } from '../../src/auth/token-buckets.js'

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 5_000_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

test('allows a burst of one second of requests, then refuses with a whole-second Retry-After', () => {
  const c = clock()
  const buckets = new TokenBuckets({ ratePerSecond: 5, now: c.now })
  for (let i = 0; i < 5; i++) assert.equal(buckets.take('alice'), 0, `request ${i}`)
  assert.equal(buckets.take('alice'), 1)
  c.advance(200) // one token back at 5/s
  assert.equal(buckets.take('alice'), 0)
  assert.equal(buckets.take('alice'), 1)
})

test('a slow rate gives a longer Retry-After', () => {
  const c = clock()
  const buckets = new TokenBuckets({ ratePerSecond: 0.25, now: c.now })
  assert.equal(buckets.take('k'), 0)
  assert.equal(buckets.take('k'), 4)
  c.advance(3000)
  assert.equal(buckets.take('k'), 1)
  c.advance(1000)
  assert.equal(buckets.take('k'), 0)
})

test('each key has its own bucket', () => {
  const c = clock()
  const buckets = new TokenBuckets({ ratePerSecond: 1, now: c.now })
  assert.equal(buckets.take('alice'), 0)
  assert.notEqual(buckets.take('alice'), 0)
  assert.equal(buckets.take('bob'), 0)
})

test('the number of buckets is bounded; the least recently used goes', () => {
  const c = clock()
  const buckets = new TokenBuckets({ ratePerSecond: 1, maxKeys: 3, now: c.now })
  for (const key of ['a', 'b', 'c']) buckets.take(key)
  buckets.take('a') // a is now the most recently used
  buckets.take('d') // b goes
  assert.equal(buckets.size, 3)
  assert.notEqual(buckets.take('a'), 0, 'a kept its empty bucket')
  assert.equal(buckets.take('b'), 0, 'b starts again full')
  for (let i = 0; i < 100; i++) buckets.take(`k${i}`)
  assert.equal(buckets.size, 3)
  assert.throws(() => new TokenBuckets({ ratePerSecond: 0 }), RangeError)
})
