import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { RateLimited } from '../errors.js'
import { TicketLimitError } from '../auth/ticket-store.js'

const Ticket = Type.Object({
  ticket: Type.String({ description: '32 random bytes, base64url: pass it once as `/ws?ticket=…`' }),
  expires_at: Type.String({ format: 'date-time', description: 'the ticket is refused after this time' })
})

const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String()
})

/**
 * `POST /auth/ticket`: trades the caller's credentials (HTTP Basic, checked by the auth plugin)
 * for a short-lived, single-use ticket, because a browser cannot send an Authorization header
 * with a WebSocket. The ticket stands for the same principal and credentials.
 */
const authRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/auth/ticket', {
    schema: {
      tags: ['security'],
      summary: 'A single-use ticket for opening a stream from a browser',
      description: 'Send your Kafka credentials as HTTP Basic (AUTH_MODE=kafka). The ticket is valid once, for TICKET_TTL_SECONDS.',
      response: { 200: Ticket, 401: ErrorBody, 429: ErrorBody }
    }
  }, async (request, reply) => {
    try {
      const issued = fastify.authTickets.issue(request.principal)
      reply.header('Cache-Control', 'no-store')
      return { ticket: issued.ticket, expires_at: issued.expiresAt.toISOString() }
    } catch (err) {
      if (!(err instanceof TicketLimitError)) throw err
      reply.header('Retry-After', '5')
      throw new RateLimited(err.message)
    }
  })
}

export default authRoutes
