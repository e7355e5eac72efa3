import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASIC_CHALLENGE, parseBasicAuthorization } from '../../src/auth/basic-credentials.js'

const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64')

test('parses RFC 7617 Basic credentials, scheme case-insensitive, password may hold colons', () => {
  assert.deepEqual(parseBasicAuthorization(`Basic ${encode('alice:alice-secret')}`), { username: 'alice', password: 'alice-secret' })
  assert.deepEqual(parseBasicAuthorization(`basic ${encode('bob:a:b:c')}`), { username: 'bob', password: 'a:b:c' })
  assert.deepEqual(parseBasicAuthorization(`BASIC  ${encode('zoë:pässwörd')}`), { username: 'zoë', password: 'pässwörd' })
})

test('absent, other schemes and malformed values give null, never an exception', () => {
  const bad = [
    undefined, '', 'Basic', 'Basic ', 'Bearer abc', `Digest ${encode('a:b')}`, 'Basic !!!!',
    `Basic ${encode('no-colon')}`, `Basic ${encode(':password-only')}`, `Basic ${encode('user:')}`,
    `Basic ${encode('us\ner:x')}`, `Basic ${encode(`${'u'.repeat(2000)}:x`)}`, `Basic ${encode(`u:${'p'.repeat(2000)}`)}`
  ]
  for (const header of bad) assert.equal(parseBasicAuthorization(header), null, String(header).slice(0, 40))
})

test('the challenge names the realm', () => {
  assert.equal(BASIC_CHALLENGE, 'Basic realm="fink-gateway"')
})
