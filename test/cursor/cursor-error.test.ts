import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { CursorError } from '../../src/cursor/cursor-error.js'
import { decodeCursor } from '../../src/cursor/codec.js'
import { GatewayError } from '../../src/errors.js'

test('a CursorError is a GatewayError with code FG_BAD_CURSOR and no retry', () => {
  const err = new CursorError('the cursor is empty')
  assert.ok(err instanceof GatewayError)
  assert.equal(err.name, 'CursorError')
  assert.equal(err.code, 'FG_BAD_CURSOR')
  assert.equal(err.canRetry, false)
})

test('thrown from a route, Fastify answers 400 with the code and the message', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  app.get('/resume', async (request) => {
    decodeCursor((request.query as { cursor: string }).cursor)
    return { ok: true }
  })
  const bad = await app.inject({ url: '/resume', query: { cursor: 'AAAA' } })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(bad.json(), {
    statusCode: 400, code: 'FG_BAD_CURSOR', error: 'Bad Request', message: 'cursor version 0 is not supported (expected 1)'
  })
})
