/**
 * The whole app plus two probe routes that show what the auth plugin decided, for tests of the
 * plugins that run before every route (auth, CORS, rate limit) independently of the real routes.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { TestContext } from 'node:test'
import app from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { KAFKA_BROKERS } from '../helpers/app.js'

export const WHOAMI = '/test-probe/whoami'
export const STREAM = '/test-probe/stream'

export interface Whoami { name: string, hasCredentials: boolean, username: string | null }

export async function buildProbeApp (t: TestContext, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({ KAFKA_BROKERS, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RATE_LIMIT_PER_SECOND: '100000', ...env })
  const fastify = Fastify({ logger: { level: config.LOG_LEVEL } })
  await fastify.register(app, { config })
  const whoami = (request: { principal: { name: string, credentials: { username: string } | null } }): Whoami => ({
    name: request.principal.name,
    hasCredentials: request.principal.credentials !== null,
    username: request.principal.credentials?.username ?? null
  })
  fastify.get(WHOAMI, async (request) => whoami(request))
  fastify.get(STREAM, { config: { acceptsTicket: true } }, async (request) => whoami(request))
  await fastify.ready()
  t.after(() => fastify.close())
  return fastify
}
