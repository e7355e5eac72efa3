/**
 * No secret reaches the logs in AUTH_MODE=kafka: the server as `npm start` builds it (its own
 * logger, at debug), driven through right and wrong logins, tickets and a WebSocket.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { uniqueName } from '../helpers/app.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { buildServer } from '../../src/server.js'
import { basic, createTopicAsAdmin, deleteTopicAsAdmin, kafkaAuthEnv, saslSkipReason } from './sasl.js'

const skip = await saslSkipReason()

test('passwords, Basic headers and tickets never appear in the log lines', { skip }, async (t) => {
  const topic = uniqueName('ftest_logs')
  await createTopicAsAdmin(topic)
  t.after(() => deleteTopicAsAdmin(topic))

  let output = ''
  const sink = new Writable({ write (chunk: Buffer, _encoding, done) { output += chunk.toString('utf8'); done() } })
  const config = loadConfig(kafkaAuthEnv({ LOG_LEVEL: 'debug' }))
  const server = await buildServer(config, createLogger(config, sink))
  t.after(() => server.close())
  await server.listen({ port: 0, host: '127.0.0.1' })
  const { port } = server.server.address() as AddressInfo

  const wrongPassword = `Wrong-${uniqueName('pw')}`
  const secrets = ['alice-secret', wrongPassword, basic('alice').slice(6), basic('alice', wrongPassword).slice(6)]
  assert.equal((await server.inject({ url: '/topics', headers: { authorization: basic('alice') } })).statusCode, 200)
  assert.equal((await server.inject({ url: '/topics', headers: { authorization: basic('alice', wrongPassword) } })).statusCode, 401)
  const issued = await server.inject({ method: 'POST', url: '/auth/ticket', headers: { authorization: basic('alice') } })
  const { ticket } = issued.json() as { ticket: string }
  secrets.push(ticket)

  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=${topic}&group_id=${uniqueName('alice.g')}&ticket=${ticket}`)
  t.after(() => { socket.terminate() })
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject) })
  socket.close()
  await new Promise((resolve) => socket.once('close', resolve))
  // a reused ticket is refused: its URL is logged too
  const again = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=${topic}&ticket=${ticket}`)
  t.after(() => { again.terminate() })
  await new Promise<void>((resolve) => { again.once('unexpected-response', (_req, res) => { res.resume(); resolve() }); again.once('error', () => resolve()) })
  await server.close()

  assert.ok(output.includes('/ws'), 'the requests were logged')
  for (const secret of secrets) assert.ok(!output.includes(secret), `a secret (${secret.length} characters) is in the logs`)
})
