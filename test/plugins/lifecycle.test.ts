import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
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
