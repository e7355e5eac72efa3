import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { FilterSyntaxError } from '../../src/filter/filter-error.js'
import { compileFilter } from '../../src/filter/compile.js'
import { GatewayError } from '../../src/errors.js'

test('a FilterSyntaxError is a GatewayError with code, position and no retry', () => {
  const err = new FilterSyntaxError("unexpected ')' at position 17: expected a value", 17)
  assert.ok(err instanceof GatewayError)
  assert.equal(err.name, 'FilterSyntaxError')
  assert.equal(err.code, 'FG_BAD_FILTER')
  assert.equal(err.position, 17)
  assert.equal(err.canRetry, false)
})

test('thrown from a route, Fastify answers 400 with the code and the message', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  app.get('/check', async (request) => {
    compileFilter((request.query as { filter: string }).filter)
    return { ok: true }
  })
  const bad = await app.inject({ url: '/check', query: { filter: 'candidate.magpsf < )' } })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(bad.json(), {
    statusCode: 400,
    code: 'FG_BAD_FILTER',
    error: 'Bad Request',
    message: "unexpected ')' at position 19: expected a value"
  })
  const good = await app.inject({ url: '/check', query: { filter: 'candidate.magpsf < 18' } })
  assert.equal(good.statusCode, 200)
})
