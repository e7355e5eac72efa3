import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { ANONYMOUS } from './principal.js'

/**
 * Sets `request.principal` on every request. With AUTH_MODE=none everyone is the anonymous
 * principal, served by the gateway's own Kafka identity.
 */
const auth: FastifyPluginAsync = async (fastify) => {
  fastify.decorateRequest('principal', ANONYMOUS)
  fastify.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS
  })
}

export default fp(auth, { name: 'auth' })
