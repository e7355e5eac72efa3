import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { KafkaCredentialVerifier, Verdicts } from '../../src/auth/kafka-verifier.js'
import { kafkaAuthEnv, saslSkipReason } from '../security/sasl.js'

const skip = await saslSkipReason()
const log = pino({ level: 'silent' })

function verifier (t: { after: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}, opts: Partial<ConstructorParameters<typeof KafkaCredentialVerifier>[0]> = {}): KafkaCredentialVerifier {
  const v = new KafkaCredentialVerifier({ config: loadConfig(kafkaAuthEnv(env)), log, ...opts })
  t.after(() => v.close())
  return v
}

/** Open Kafka clients drop to zero once every check has finished (bounded by the check's timeout). */
async function waitForNoClients (v: KafkaCredentialVerifier, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs
  while (v.openClients > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(v.openClients, 0, `Kafka clients still open after ${withinMs} ms`)
}

test('the local users log in; the verdict is then remembered', { skip }, async (t) => {
  const v = verifier(t)
  assert.equal(await v.verify({ username: 'alice', password: 'alice-secret' }), Verdicts.accepted)
  assert.equal(await v.verify({ username: 'bob', password: 'bob-secret' }), Verdicts.accepted)
  assert.equal(v.cachedLogins, 2)
  let asked = false
  assert.equal(await v.verify({ username: 'alice', password: 'alice-secret' }, () => { asked = true; return false }), Verdicts.accepted)
  assert.equal(asked, false, 'a remembered login does not reach Kafka')
  await waitForNoClients(v, 10_000)
})

test('a wrong password or unknown user is rejected and leaves no Kafka client behind', { skip }, async (t) => {
  const v = verifier(t)
  const verdicts = await Promise.all([
    v.verify({ username: 'alice', password: 'not-her-password' }),
    v.verify({ username: 'mallory', password: 'mallory-secret' }),
    v.verify({ username: 'alice', password: 'ALICE-SECRET' }),
    v.verify({ username: 'Alice', password: 'alice-secret' }),
    v.verify({ username: 'alice', password: 'alice-secret' })
  ])
  assert.deepEqual(verdicts, [Verdicts.rejected, Verdicts.rejected, Verdicts.rejected, Verdicts.rejected, Verdicts.accepted])
  // the same wrong password again is answered from memory, without a login
  assert.equal(await v.verify({ username: 'alice', password: 'not-her-password' }, () => false), Verdicts.rejected)
  await waitForNoClients(v, 15_000)
})

test('concurrent checks of the same credentials share one login', { skip }, async (t) => {
  const v = verifier(t)
  let logins = 0
  const admit = (): boolean => { logins++; return true }
  const verdicts = await Promise.all(Array.from({ length: 10 }, () => v.verify({ username: 'bob', password: 'bob-secret' }, admit)))
  assert.deepEqual(new Set(verdicts), new Set([Verdicts.accepted]))
  assert.equal(logins, 1)
})

test('refused by admit, or above maxInFlight: busy, without a login', { skip }, async (t) => {
  const v = verifier(t, {}, { maxInFlight: 1 })
  assert.equal(await v.verify({ username: 'alice', password: 'alice-secret' }, () => false), Verdicts.busy)
  const first = v.verify({ username: 'alice', password: 'alice-secret' })
  assert.equal(await v.verify({ username: 'bob', password: 'bob-secret' }), Verdicts.busy)
  assert.equal(await first, Verdicts.accepted)
})

test('an unreachable Kafka gives "unavailable" within the timeout, not "rejected"', async (t) => {
  // a port nothing listens on: connection refused at once, then the check times out
  const v = verifier(t, { KAFKA_BROKERS: '127.0.0.1:1' }, { timeoutMs: 1500 })
  assert.equal(await v.verify({ username: 'alice', password: 'alice-secret' }), Verdicts.unavailable)
  assert.equal(v.cachedLogins, 0, 'an outage is not remembered')
  await waitForNoClients(v, 10_000)
})

test('after close, nothing is checked', async (t) => {
  const v = verifier(t, { KAFKA_BROKERS: '127.0.0.1:1' })
  await v.close()
  assert.equal(await v.verify({ username: 'alice', password: 'alice-secret' }, () => { throw new Error('must not be asked') }), Verdicts.unavailable)
})
