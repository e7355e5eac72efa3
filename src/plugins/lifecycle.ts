import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the moment shutdown starts: readiness answers 503 and new streams are refused. */
    readonly shuttingDown: boolean
    /**
     * Aborted when shutdown starts. Work that waits on behalf of a client (a long-poll's pull)
     * listens to it, answers with what it has, and lets the response commit as usual.
     */
    readonly shutdownSignal: AbortSignal
  }
}

/**
 * The app's shutdown state. `fastify.close()` (SIGTERM in src/server.ts) runs the preClose hooks
 * before the server stops accepting, so the flag is up before any stream is closed and before
 * the onClose hooks commit and disconnect. Registered first, so its preClose runs first.
 *
 * Responses sent from then on carry `Connection: close`: Node's server.close() waits for every
 * open connection, and a keep-alive socket left idle after an in-flight response would hold the
 * shutdown for the whole keepAliveTimeout.
 */
const lifecycle: FastifyPluginAsync = async (fastify) => {
  let shuttingDown = false
  const shutdown = new AbortController()
  fastify.decorate('shuttingDown', { getter: () => shuttingDown })
  fastify.decorate('shutdownSignal', { getter: () => shutdown.signal })
  fastify.addHook('preClose', async () => {
    if (!shuttingDown) fastify.log.info('shutting down: readiness 503, no new sessions')
    shuttingDown = true
    shutdown.abort()
  })
  fastify.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close')
  })
}

export default fp(lifecycle, { name: 'lifecycle', fastify: '5.x' })
