import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Agent, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import lifecycle from '../../src/plugins/lifecycle.js'

test('shuttingDown is false while serving and true from the first preClose hook on', async () => {
  const fastify = Fastify({ logger: false })
  await fastify.register(lifecycle)
  const seen: Array<[string, boolean]> = []
  // registered after lifecycle, as every other plugin is: they see the flag already up
  fastify.addHook('preClose', async () => { seen.push(['preClose', fastify.shuttingDown]) })
  fastify.addHook('onClose', async () => { seen.push(['onClose', fastify.shuttingDown]) })
  fastify.get('/flag', async () => ({ shuttingDown: fastify.shuttingDown }))
  await fastify.ready()

  assert.deepEqual((await fastify.inject({ url: '/flag' })).json(), { shuttingDown: false })
  assert.equal(fastify.shuttingDown, false)
  await fastify.close()
  assert.deepEqual(seen, [['preClose', true], ['onClose', true]])
  assert.equal(fastify.shuttingDown, true)
})

test('the flag cannot be set from outside', async () => {
  const fastify = Fastify({ logger: false })
  await fastify.register(lifecycle)
  await fastify.ready()
  assert.throws(() => { (fastify as unknown as { shuttingDown: boolean }).shuttingDown = true })
  assert.equal(fastify.shuttingDown, false)
  await fastify.close()
})

test('shutdownSignal aborts at shutdown, and responses then close their keep-alive connection', async () => {
  const fastify = Fastify({ logger: false, keepAliveTimeout: 65000 })
  await fastify.register(lifecycle)
  let entered: () => void = () => {}
  const inHandler = new Promise<void>((resolve) => { entered = resolve })
  // a long-poll: waits until shutdown, then answers with what it has
  fastify.get('/wait', async () => {
    entered()
    await new Promise<void>((resolve) => { fastify.shutdownSignal.addEventListener('abort', () => { resolve() }, { once: true }) })
    return { answered: 'at shutdown' }
  })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const port = (fastify.server.address() as AddressInfo).port
  assert.equal(fastify.shutdownSignal.aborted, false)

  const agent = new Agent({ keepAlive: true })
  const response = new Promise<{ connection: string | undefined, body: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/wait', agent }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => { resolve({ connection: res.headers.connection, body }) })
    }).on('error', reject)
  })
  await inHandler
  const closed = fastify.close()
  assert.deepEqual(await response, { connection: 'close', body: '{"answered":"at shutdown"}' })
  await closed
  assert.equal(fastify.shutdownSignal.aborted, true)
  agent.destroy()
})
