import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import type { TestContext } from 'node:test'
import app from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { REDACTED, createLogger, redactUrl } from '../src/logger.js'
import { serverOptions } from '../src/server.js'
import { KAFKA_BROKERS, uniqueName } from './helpers/app.js'
import { hasSaslListener, saslBrokers } from './helpers/kafka.js'

test('redactUrl hides the values of secret query parameters, whatever their spelling', () => {
  assert.equal(redactUrl('/ws?topics=a&ticket=abc123'), `/ws?topics=a&ticket=${REDACTED}`)
  assert.equal(redactUrl('/poll?password=p%40ss&topics=a'), `/poll?password=${REDACTED}&topics=a`)
  assert.equal(redactUrl('/x?PASSWORD=1&Ticket=2'), `/x?PASSWORD=${REDACTED}&Ticket=${REDACTED}`)
  assert.equal(redactUrl('/x?pass%77ord=hidden'), `/x?pass%77ord=${REDACTED}`)
  assert.equal(redactUrl('/x?token=a&access_token=b&api_key=c'), `/x?token=${REDACTED}&access_token=${REDACTED}&api_key=${REDACTED}`)
  assert.equal(redactUrl('/x?%E0%A4%A=1&ticket=t'), `/x?%E0%A4%A=1&ticket=${REDACTED}`)
  assert.equal(redactUrl('http://user:pw@host/x'), `http://${REDACTED}@host/x`)
  assert.equal(redactUrl('/topics'), '/topics')
  assert.equal(redactUrl('/topics?'), '/topics?')
})

test('the logger redacts credentials in logged objects', () => {
  const lines: string[] = []
  const logger = createLogger({ LOG_LEVEL: 'trace' }, { write: (line: string) => { lines.push(line) } })
  logger.info({
    req: { method: 'GET', url: '/ws?ticket=tk-1', headers: { authorization: 'Basic aaa' } },
    headers: { authorization: 'Basic bbb', cookie: 'c=ccc' },
    password: 'ddd',
    principal: { credentials: { username: 'u', password: 'eee' } },
    config: { KAFKA_PASSWORD: 'fff' },
    kafka: { 'sasl.password': 'ggg' }
  }, 'hello')
  assert.equal(lines.length, 1)
  const line = lines[0] ?? ''
  for (const secret of ['tk-1', 'aaa', 'bbb', 'ccc', 'ddd', 'eee', 'fff', 'ggg']) {
    assert.ok(!line.includes(secret), `${secret} leaked: ${line}`)
  }
  const parsed = JSON.parse(line) as Record<string, unknown>
  assert.equal(parsed.msg, 'hello')
  assert.equal(parsed.password, REDACTED)
  assert.deepEqual(parsed.req, { method: 'GET', url: `/ws?ticket=${REDACTED}` })
})

interface LoggedApp {
  fastify: FastifyInstance
  routes: RouteOptions[]
  lines: string[]
}

/** The app as src/server.ts builds it (same logger options), every log line captured. */
async function buildLoggedApp (t: TestContext, env: Record<string, string>): Promise<LoggedApp> {
  const config = loadConfig({ KAFKA_BROKERS, ...env, LOG_LEVEL: 'trace' })
  const lines: string[] = []
  const fastify = Fastify(serverOptions(createLogger(config, { write: (line: string) => { lines.push(line) } })))
  const routes: RouteOptions[] = []
  fastify.addHook('onRoute', (route) => { routes.push(route) })
  await fastify.register(app, { config })
  await fastify.ready()
  t.after(() => fastify.close())
  return { fastify, routes, lines }
}

function fillParams (url: string): string {
  return url
    .replace(/:(partition|offset)\b/g, '0')
    .replace(/:(\w+)/g, 'x')
    .replace(/\*$/, 'x')
}

/** Calls every route of the app once, with the secret in every place a client may put one. */
async function exerciseEveryRoute (logged: LoggedApp, secret: string, user: string): Promise<number> {
  const basic = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`
  const query = new URLSearchParams({
    topics: uniqueName('ftest_logs'),
    group_id: `${user}.${uniqueName('logs')}`,
    timeout: '0.5',
    num_alerts: '1',
    ticket: secret,
    password: secret,
    token: secret
  }).toString()
  const headers = { authorization: basic, cookie: `session=${secret}`, 'x-api-key': secret }
  let calls = 0
  for (const route of logged.routes) {
    const url = `${fillParams(route.url)}?${query}`
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if ((route as { websocket?: boolean }).websocket === true) {
      const injectWS = (logged.fastify as unknown as { injectWS?: (path: string, opts: object) => Promise<{ terminate: () => void }> }).injectWS
      if (injectWS !== undefined) {
        calls++
        try {
          const ws = await injectWS.call(logged.fastify, url, { headers })
          ws.terminate()
        } catch {
          // refused upgrades (401/403/404) are fine: we only look at what was logged
        }
      }
      continue
    }
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue
      calls++
      await logged.fastify.inject({
        method: method as 'GET',
        url,
        headers,
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { password: secret, ticket: secret } })
      })
    }
  }
  return calls
}

function assertNowhere (lines: string[], secrets: string[]): void {
  assert.ok(lines.length > 0, 'nothing was logged: the capture is broken')
  for (const line of lines) {
    for (const secret of secrets) {
      assert.ok(!line.includes(secret), `a secret leaked into the log: ${line}`)
    }
  }
}

function encodings (secret: string, user: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(`${user}:${secret}`).toString('base64')]
}

test('a secret sent to every endpoint appears nowhere in the log (AUTH_MODE=none)', async (t) => {
  const logged = await buildLoggedApp(t, {})
  const secret = `S3cr3t-${uniqueName('pw')}`
  const calls = await exerciseEveryRoute(logged, secret, 'alice')
  assert.ok(calls >= 4, `expected the app's routes, exercised ${calls}`)
  assertNowhere(logged.lines, encodings(secret, 'alice'))
  const completed = logged.lines.filter((l) => l.includes('"request completed"'))
  assert.ok(completed.some((l) => l.includes(`ticket=${REDACTED}`)), 'no request line shows the redacted URL')
})

test('a secret sent to every endpoint appears nowhere in the log (AUTH_MODE=kafka, SASL)', async (t) => {
  if (!hasSaslListener()) {
    t.skip('KAFKA_SASL_BROKERS is not set: this run has no SASL listener (npm test provides one)')
    return
  }
  const logged = await buildLoggedApp(t, {
    KAFKA_BROKERS: saslBrokers(),
    KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
    KAFKA_USERNAME: 'admin',
    KAFKA_PASSWORD: 'admin-secret',
    AUTH_MODE: 'kafka'
  })
  const secret = `S3cr3t-${uniqueName('pw')}`
  await exerciseEveryRoute(logged, secret, 'alice')
  // a real user's real password, which gets further into the session code than a wrong one
  await exerciseEveryRoute(logged, 'bob-secret', 'bob')
  assertNowhere(logged.lines, [...encodings(secret, 'alice'), ...encodings('bob-secret', 'bob'), 'admin-secret'])
})

test('each request is one log line (at info) with its status and duration', async (t) => {
  const logged = await buildLoggedApp(t, {})
  const response = await logged.fastify.inject({ url: `/no-such-page?ticket=${uniqueName('tk')}` })
  // at info, the production level (the capture runs at trace: debug detail may add lines)
  const lines = logged.lines.map((l) => JSON.parse(l) as { level: number, reqId?: string, msg?: string, res?: { statusCode?: number }, responseTime?: number, req?: { url?: string } })
    .filter((l) => l.reqId !== undefined && l.level >= 30)
  assert.equal(lines.length, 1, `expected one line for the request, got ${JSON.stringify(lines)}`)
  const line = lines[0]
  assert.equal(line?.msg, 'request completed')
  assert.equal(line?.res?.statusCode, response.statusCode)
  assert.equal(typeof line?.responseTime, 'number')
  assert.equal(line?.req?.url, `/no-such-page?ticket=${REDACTED}`)
})
