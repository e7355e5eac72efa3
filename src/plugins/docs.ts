import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'

/** The project's version, from the nearest package.json (src/ under tsx, dist/src/ when built). */
function packageVersion (): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0'
  }
  return '0.0.0'
}

/**
 * `GET /docs`: the OpenAPI document generated from the routes' TypeBox schemas
 * (`/docs/json`, `/docs/yaml`) and Swagger UI. It must be registered before the routes:
 * @fastify/swagger collects them with an onRoute hook. The WebSocket protocol, which OpenAPI
 * cannot describe, is in docs/asyncapi.yaml.
 */
const docs: FastifyPluginAsync = async (fastify) => {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'fink-gateway',
        version: packageVersion(),
        description: 'Fink alert streams over HTTP: REST long-polling and WebSocket on top of Kafka. ' +
          'Errors are JSON {"statusCode","code","error","message"} with a stable FG_ code. ' +
          'The WebSocket protocol of GET /ws is described in docs/asyncapi.yaml.'
      },
      tags: [
        { name: 'alerts', description: 'Reading alerts: poll, consume, stream, permalinks' },
        { name: 'topics', description: 'Topics, offsets and schemas' },
        { name: 'auth', description: 'Credentials and tickets' },
        { name: 'operations', description: 'Health, readiness and metrics' }
      ],
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: 'Kafka SASL/SCRAM credentials (AUTH_MODE=kafka)' }
        }
      }
    }
  })
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: true
  })
}

export default fp(docs, { name: 'docs', fastify: '5.x' })
