import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TicketLimitError, TicketStore } from '../../src/auth/ticket-store.js'
import type { Principal } from '../../src/auth/principal.js'

const alice: Principal = { name: 'alice', credentials: { username: 'alice', password: 'alice-secret' } }
const bob: Principal = { name: 'bob', credentials: { username: 'bob', password: 'bob-secret' } }

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_700_000_000_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

test('a ticket is 32 random bytes in base64url and expires after the TTL', (t) => {
  const c = clock()
  const store = new TicketStore({ ttlSeconds: 60, now: c.now })
  t.after(() => store.close())
  const issued = store.issue(alice)
  assert.match(issued.ticket, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(Buffer.from(issued.ticket, 'base64url').length, 32)
  assert.equal(issued.expiresAt.getTime(), c.now() + 60_000)
  assert.notEqual(store.issue(alice).ticket, issued.ticket)
})

test('a ticket works once, for the principal it was issued to', (t) => {
  const store = new TicketStore({ ttlSeconds: 60 })
  t.after(() => store.close())
  const forAlice = store.issue(alice)
  const forBob = store.issue(bob)
  assert.deepEqual(store.redeem(forBob.ticket), bob)
  assert.deepEqual(store.redeem(forAlice.ticket), alice)
  assert.equal(store.redeem(forAlice.ticket), null, 'reused')
  assert.equal(store.size, 0)
})

test('expired, unknown and malformed tickets are refused', (t) => {
  const c = clock()
  const store = new TicketStore({ ttlSeconds: 10, now: c.now })
  t.after(() => store.close())
  const issued = store.issue(alice)
  c.advance(10_000)
  assert.equal(store.redeem(issued.ticket), null, 'expired')
  assert.equal(store.redeem('A'.repeat(43)), null, 'unknown')
  for (const bad of ['', 'x', issued.ticket + '=', '../../etc', 'A'.repeat(10000)]) assert.equal(store.redeem(bad), null)
})

test('bounded per principal and in total; expired tickets make room', (t) => {
  const c = clock()
  const store = new TicketStore({ ttlSeconds: 10, maxTickets: 5, maxPerPrincipal: 3, now: c.now })
  t.after(() => store.close())
  for (let i = 0; i < 3; i++) store.issue(alice)
  assert.throws(() => store.issue(alice), TicketLimitError)
  store.issue(bob)
  store.issue(bob)
  assert.throws(() => store.issue(bob), TicketLimitError, 'store full')
  assert.equal(store.size, 5)
  c.advance(10_000)
  store.issue(alice)
  assert.equal(store.size, 1)
})
