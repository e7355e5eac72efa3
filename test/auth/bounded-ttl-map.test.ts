import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BoundedTtlMap } from '../../src/auth/bounded-ttl-map.js'

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

test('entries expire after their time to live', () => {
  const c = clock()
  const map = new BoundedTtlMap<string, number>({ maxEntries: 10, now: c.now })
  map.set('a', 1, 1000)
  assert.equal(map.get('a'), 1)
  assert.equal(map.expiresAt('a'), c.now() + 1000)
  c.advance(999)
  assert.equal(map.get('a'), 1)
  c.advance(1)
  assert.equal(map.get('a'), undefined)
  assert.equal(map.size, 0)
})

test('never holds more than maxEntries: expired ones go first, then the oldest', () => {
  const c = clock()
  const map = new BoundedTtlMap<string, number>({ maxEntries: 3, now: c.now })
  map.set('short', 0, 10)
  map.set('a', 1, 1000)
  map.set('b', 2, 1000)
  c.advance(20)
  map.set('c', 3, 1000) // the expired 'short' makes room
  assert.deepEqual([map.get('a'), map.get('b'), map.get('c')], [1, 2, 3])
  map.set('d', 4, 1000) // full of live entries: the oldest, 'a', goes
  assert.equal(map.size, 3)
  assert.equal(map.get('a'), undefined)
  assert.equal(map.get('d'), 4)
  for (let i = 0; i < 1000; i++) map.set(`k${i}`, i, 1000)
  assert.equal(map.size, 3)
})

test('take removes the entry: a second take finds nothing', () => {
  const map = new BoundedTtlMap<string, string>({ maxEntries: 2 })
  map.set('t', 'v', 1000)
  assert.equal(map.take('t'), 'v')
  assert.equal(map.take('t'), undefined)
})

test('sweep drops only expired entries; values lists live ones', () => {
  const c = clock()
  const map = new BoundedTtlMap<string, number>({ maxEntries: 10, now: c.now })
  map.set('a', 1, 10)
  map.set('b', 2, 100)
  c.advance(50)
  assert.deepEqual([...map.values()], [2])
  assert.equal(map.sweep(), 1)
  assert.equal(map.size, 1)
  assert.throws(() => new BoundedTtlMap({ maxEntries: 0 }), RangeError)
})
