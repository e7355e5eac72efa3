import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type RouteOptions } from 'fastify'
import app from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { KAFKA_BROKERS } from '../helpers/app.js'

/** Fastify `/alerts/:topic` is OpenAPI `/alerts/{topic}`. */
function openApiPath (url: string): string {
  return url.replace(/:(\w+)/g, '{$1}')
}

test('/docs serves Swagger UI and an OpenAPI document listing every documented route', async (t) => {
  const fastify = Fastify({ logger: false })
  const routes: RouteOptions[] = []
  fastify.addHook('onRoute', (route) => { routes.push(route) })
  await fastify.register(app, { config: loadConfig({ KAFKA_BROKERS, LOG_LEVEL: 'silent' }) })
  await fastify.ready()
  t.after(() => fastify.close())

  const ui = await fastify.inject({ url: '/docs' })
  assert.equal(ui.statusCode, 200)
  assert.match(String(ui.headers['content-type']), /^text\/html/)
  assert.match(ui.body, /<title>Swagger UI<\/title>/)

  const response = await fastify.inject({ url: '/docs/json' })
  assert.equal(response.statusCode, 200)
  const document = response.json<{ openapi: string, info: { title: string, version: string }, paths: Record<string, Record<string, { tags?: string[], responses?: object }>> }>()
  assert.match(document.openapi, /^3\./)
  assert.equal(document.info.title, 'fink-gateway')

  const documented = routes.filter((r) => (r.schema as { hide?: boolean } | undefined)?.hide !== true && !r.url.startsWith('/docs'))
  assert.ok(documented.some((r) => r.url === '/readyz'), 'the app registered its routes after docs')
  for (const route of documented) {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD')
    for (const method of methods) {
      const operation = document.paths[openApiPath(route.url)]?.[method.toLowerCase()]
      assert.ok(operation !== undefined, `${method} ${route.url} is missing from the OpenAPI document`)
      assert.ok(operation.responses !== undefined && Object.keys(operation.responses).length > 0, `${method} ${route.url} documents no response`)
    }
  }
  assert.ok(document.paths['/metrics']?.get?.tags?.includes('operations'))

  const yaml = await fastify.inject({ url: '/docs/yaml' })
  assert.equal(yaml.statusCode, 200)
  assert.match(yaml.body, /^openapi: /m)
})
