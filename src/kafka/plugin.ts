import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { SessionRegistry } from './session-registry.js'
import { KafkaAdmin } from './admin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every open client session; REST sessions are found again here. */
    sessions: SessionRegistry
    /** Topic listing, watermarks, committed offsets, single-message fetches. */
    kafkaAdmin: KafkaAdmin
  }
}

/**
 * The Kafka resources of the app: the session registry and the admin look-ups. On close every
 * session is closed in parallel (each commits what its client has, then disconnects, bounded).
 * Streams are closed with 1001 by their route's preClose hook before this runs.
 */
const kafka: FastifyPluginAsync = async (fastify) => {
  const log = fastify.log.child({ component: 'sessions' })
  const registry = new SessionRegistry(fastify.config, fastify.metrics, log)
  const admin = new KafkaAdmin(fastify.config, fastify.log.child({ component: 'kafka-admin' }))
  fastify.decorate('sessions', registry)
  fastify.decorate('kafkaAdmin', admin)
  fastify.addHook('onClose', async () => {
    await Promise.allSettled([
      registry.closeAll(Math.max(1000, (fastify.config.SHUTDOWN_GRACE_SECONDS - 2) * 1000)),
      admin.close()
    ])
  })
}

export default fp(kafka, { name: 'kafka-sessions', fastify: '5.x' })
