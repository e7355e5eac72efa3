import Fastify, { type FastifyInstance } from 'fastify'
import type { TestContext } from 'node:test'
import app from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'

/** The brokers the test run's Kafka listens on (scripts/test.ts sets it, starting Kafka if needed). */
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'

/** Builds the app as the server does, without listening, and closes it when the test ends. */
export async function buildApp (t: TestContext | null, env: Record<string, string> = {}): Promise<FastifyInstance> {
  // every inject() comes from 127.0.0.1: without a high default, tests would share one rate-limit bucket
  const config: Config = loadConfig({ KAFKA_BROKERS, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RATE_LIMIT_PER_SECOND: '100000', ...env })
  const fastify = Fastify({ logger: { level: config.LOG_LEVEL } })
  await fastify.register(app, { config })
  await fastify.ready()
  if (t !== null) t.after(() => fastify.close())
  return fastify
}

/** Topic and group names unique to one test, so tests never see each other's data. */
export function uniqueName (prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}
