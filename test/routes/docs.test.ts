import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type RouteOptions } from 'fastify'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import app from '../../src/app.js'
import { ConfigSchema, loadConfig } from '../../src/config.js'
import { GatewayMetrics } from '../../src/metrics.js'
import { StreamQuery } from '../../src/routes/params.js'
import { featureQuery } from '../../src/features/params.js'
import { CloseCode } from '../../src/routes/ws.js'
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

test('docs/asyncapi.yaml describes the WebSocket protocol the /ws route implements', () => {
  const [doc] = parseAllDocuments(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'asyncapi.yaml'), 'utf8'))
  assert.ok(doc !== undefined)
  assert.deepEqual(doc.errors, [])
  const spec = doc.toJS() as {
    asyncapi: string
    info: { description: string }
    channels: { stream: { address: string, messages: Record<string, unknown>, bindings: { ws: { query: { properties: Record<string, unknown>, required: string[] } } } } }
    components: { schemas: Record<string, { properties: { type: { const: string } } }> }
  }
  assert.match(spec.asyncapi, /^3\./)
  const stream = spec.channels.stream
  assert.equal(stream.address, '/ws')
  assert.deepEqual(Object.keys(stream.messages).sort(), ['ack', 'alert', 'alertAvro', 'error', 'status'])
  for (const [schema, type] of [['AlertFrame', 'alert'], ['StatusFrame', 'status'], ['ErrorFrame', 'error'], ['AckFrame', 'ack']]) {
    assert.equal(spec.components.schemas[schema as string]?.properties.type.const, type)
  }

  // every query parameter the route declares, and every close code it uses, is documented
  const documented = stream.bindings.ws.query.properties
  for (const name of [...Object.keys(StreamQuery.properties), ...Object.keys(featureQuery)]) assert.ok(name in documented, `query parameter ${name}`)
  assert.deepEqual(stream.bindings.ws.query.required, ['topics'])
  const table = new Set([...spec.info.description.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1])))
  for (const code of [...Object.values(CloseCode), 1009]) assert.ok(table.has(code), `close code ${code} is in the table`)
  for (const code of table) assert.ok([...Object.values(CloseCode), 1009].includes(code as never), `close code ${code} is one the gateway uses`)
})

test("the README's Operating section documents every configuration variable and every gateway metric", async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
  const text = readme.slice(readme.indexOf('\n## Operating'), readme.indexOf('\n## ', readme.indexOf('\n## Operating') + 1))
  const configRows = new Set([...text.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]))
  for (const name of Object.keys(ConfigSchema.properties)) assert.ok(configRows.has(name), `${name} is in the configuration table`)
  for (const name of configRows) assert.ok(name !== undefined && name in ConfigSchema.properties, `${String(name)} is a variable the gateway reads`)
  const defaults = [...text.matchAll(/^\| `([A-Z0-9_]+)` \| `([^`]*)` \|/gm)]
  for (const [, name, value] of defaults) {
    const schema = ConfigSchema.properties[name as keyof typeof ConfigSchema.properties] as { default?: unknown }
    assert.equal(String(schema.default), value, `the documented default of ${String(name)}`)
  }

  const metricRows = new Set([...text.matchAll(/^\| `(fink_gateway_[a-z_]+)` \|/gm)].map((m) => m[1]))
  const own = (await new GatewayMetrics().registry.getMetricsAsJSON())
    .map((m) => m.name)
    .filter((name) => !/^fink_gateway_(process|nodejs)_/.test(name))
  assert.ok(own.length >= 10)
  for (const name of own) assert.ok(metricRows.has(name), `${name} is in the metrics table`)
})
