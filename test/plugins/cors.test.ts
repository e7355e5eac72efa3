import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../helpers/app.js'
import { kafkaAuthEnv } from '../security/sasl.js'
import { normaliseOrigin } from '../../src/plugins/cors.js'

const ALLOWED = 'https://fink.example.org, http://localhost:5173'
const upgrade = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }

test('CORS: a listed origin gets Access-Control-Allow-Origin, another does not', async (t) => {
  const app = await buildApp(t, { ALLOWED_ORIGINS: ALLOWED })
  const allowed = await app.inject({ url: '/healthz', headers: { origin: 'https://fink.example.org' } })
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://fink.example.org')
  assert.match(String(allowed.headers.vary), /Origin/i)
  const other = await app.inject({ url: '/healthz', headers: { origin: 'https://evil.example.com' } })
  assert.equal(other.headers['access-control-allow-origin'], undefined)
})

test('CORS preflight: allowed origins may send Authorization; no credentials needed in AUTH_MODE=kafka', async (t) => {
  const app = await buildApp(t, kafkaAuthEnv({ ALLOWED_ORIGINS: ALLOWED }))
  const res = await app.inject({
    method: 'OPTIONS',
    url: '/consume?topics=x',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }
  })
  assert.equal(res.statusCode, 204)
  assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173')
  assert.match(String(res.headers['access-control-allow-headers']), /Authorization/i)
  const refused = await app.inject({
    method: 'OPTIONS',
    url: '/consume?topics=x',
    headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' }
  })
  assert.equal(refused.headers['access-control-allow-origin'], undefined)
})

test('CORS: errors carry the CORS headers too, so a page can read a 401', async (t) => {
  const app = await buildApp(t, kafkaAuthEnv({ ALLOWED_ORIGINS: ALLOWED }))
  const res = await app.inject({ url: '/topics', headers: { origin: 'https://fink.example.org' } })
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['access-control-allow-origin'], 'https://fink.example.org')
  assert.match(String(res.headers['access-control-expose-headers']), /WWW-Authenticate/i)
})

test('CORS: with ALLOWED_ORIGINS empty, no cross-origin access at all', async (t) => {
  const app = await buildApp(t)
  const res = await app.inject({ url: '/healthz', headers: { origin: 'https://fink.example.org' } })
  assert.equal(res.headers['access-control-allow-origin'], undefined)
})

test('WebSocket upgrades from an unlisted Origin get 403 FG_FORBIDDEN before anything else', async (t) => {
  const app = await buildApp(t, kafkaAuthEnv({ ALLOWED_ORIGINS: ALLOWED }))
  const res = await app.inject({ url: '/ws?topics=x', headers: { ...upgrade, origin: 'https://evil.example.com', host: 'gateway.example.org' } })
  assert.equal(res.statusCode, 403)
  assert.equal(res.json().code, 'FG_FORBIDDEN')
  assert.match(res.json().message, /ALLOWED_ORIGINS/)
  for (const origin of ['null', 'not a url', 'https://fink.example.org.evil.com', 'http://fink.example.org']) {
    const other = await app.inject({ url: '/ws?topics=x', headers: { ...upgrade, origin, host: 'gateway.example.org' } })
    assert.equal(other.statusCode, 403, origin)
  }
})

test('WebSocket upgrades from a listed origin, the same origin, or no Origin pass the check', async (t) => {
  // they go on to authentication: 401 here shows the origin check let them through
  const app = await buildApp(t, kafkaAuthEnv({ ALLOWED_ORIGINS: ALLOWED }))
  const cases: Array<Record<string, string>> = [
    { origin: 'https://fink.example.org', host: 'gateway.example.org' },
    { origin: 'https://FINK.example.org:443', host: 'gateway.example.org' },
    { origin: 'https://gateway.example.org:8443', host: 'gateway.example.org:8443' },
    { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' },
    { host: 'gateway.example.org' }
  ]
  for (const headers of cases) {
    const res = await app.inject({ url: '/ws?topics=x', headers: { ...upgrade, ...headers } })
    assert.equal(res.statusCode, 401, JSON.stringify(headers))
  }
})

test('origins are compared in their normal form', () => {
  assert.equal(normaliseOrigin('HTTPS://Fink.Example.org:443/'), 'https://fink.example.org')
  assert.equal(normaliseOrigin('http://localhost:80'), 'http://localhost')
  assert.equal(normaliseOrigin('null'), 'null')
  assert.equal(normaliseOrigin('garbage'), 'garbage')
})
