import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the moment shutdown starts: readiness answers 503 and new streams are refused. */
    readonly shuttingDown: boolean
  }
}

/**
 * The app's shutdown state. `fastify.close()` (SIGTERM in src/server.ts) runs the preClose hooks
 * before the server stops accepting, so the flag is up before any stream is closed and before
 * the onClose hooks commit and disconnect. Registered first, so its preClose runs first.
 */
const lifecycle: FastifyPluginAsync = async (fastify) => {
  let shuttingDown = false
  fastify.decorate('shuttingDown', { getter: () => shuttingDown })
  fastify.addHook('preClose', async () => {
    if (!shuttingDown) fastify.log.info('shutting down: readiness 503, no new sessions')
    shuttingDown = true
  })
}

export default fp(lifecycle, { name: 'lifecycle', fastify: '5.x' })
