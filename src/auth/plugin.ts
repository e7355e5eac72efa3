import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { KafkaUnavailable, RateLimited, Unauthorized } from '../errors.js'
import { ANONYMOUS, type Principal } from './principal.js'
import { BASIC_CHALLENGE, parseBasicAuthorization } from './basic-credentials.js'
import { KafkaCredentialVerifier, Verdicts } from './kafka-verifier.js'
import { TicketStore } from './ticket-store.js'
import { acceptsTicket, isPublicRoute } from './public-routes.js'
import { TokenBuckets } from './token-buckets.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Browser tickets (AUTH_MODE=kafka); POST /auth/ticket issues them. */
    authTickets: TicketStore
    /** Checks Basic credentials against Kafka (AUTH_MODE=kafka). */
    credentialVerifier: KafkaCredentialVerifier | null
  }
}

/** New logins against Kafka one client address may start: the rest wait for the cache or 429. */
const LOGINS_PER_SECOND_PER_ADDRESS = 2
const LOGIN_BURST_PER_ADDRESS = 20

/**
 * The Basic challenge makes browsers show their own login prompt; a script that sends
 * `X-Requested-With` (the dashboard's fetch calls do) signs in with its own form instead.
 */
function unauthorized (request: FastifyRequest, reply: FastifyReply, message: string): Error {
  if (request.headers['x-requested-with'] === undefined) reply.header('WWW-Authenticate', BASIC_CHALLENGE)
  return new Unauthorized(message)
}

/**
 * Sets `request.principal` on every request.
 * - AUTH_MODE=none: everyone is the anonymous principal, served by the gateway's own Kafka identity.
 * - AUTH_MODE=kafka: HTTP Basic credentials are the client's Kafka SASL credentials, checked
 *   against Kafka (and remembered briefly as a salted hash); GET /ws and /sse also accept a
 *   single-use `ticket`. The principal carries the credentials so that sessions open the
 *   user's own consumers and Kafka's ACLs decide what they may read. Public routes (probes,
 *   docs, the dashboard's files) and CORS preflights need nothing.
 */
const auth: FastifyPluginAsync = async (fastify) => {
  const config = fastify.config
  const tickets = new TicketStore({ ttlSeconds: config.TICKET_TTL_SECONDS })
  const verifier = config.AUTH_MODE === 'kafka'
    ? new KafkaCredentialVerifier({ config, log: fastify.log.child({ component: 'auth' }) })
    : null
  const loginsByAddress = new TokenBuckets({ ratePerSecond: LOGINS_PER_SECOND_PER_ADDRESS, burst: LOGIN_BURST_PER_ADDRESS })

  fastify.decorate('authTickets', tickets)
  fastify.decorate('credentialVerifier', verifier)
  // a reference type cannot be a request decorator's default: every request sets its own in onRequest
  fastify.decorateRequest('principal', null as unknown as Principal)

  fastify.addHook('onClose', async () => {
    tickets.close()
    await verifier?.close()
  })

  async function principalOf (request: FastifyRequest, reply: FastifyReply, kafka: KafkaCredentialVerifier): Promise<Principal> {
    const query = request.query as Record<string, unknown> | undefined
    const ticket = query?.ticket
    if (ticket !== undefined && acceptsTicket(request) && request.headers.authorization === undefined) {
      const principal = typeof ticket === 'string' ? tickets.redeem(ticket) : null
      if (principal === null) throw unauthorized(request, reply, 'the ticket is unknown, expired or already used: get a new one with POST /auth/ticket')
      return principal
    }

    const credentials = parseBasicAuthorization(request.headers.authorization)
    if (credentials === null) {
      throw unauthorized(request, reply, 'send your Kafka username and password as HTTP Basic credentials (browsers opening a stream: ?ticket= from POST /auth/ticket)')
    }
    let retryAfter = 1
    const verdict = await kafka.verify(credentials, () => {
      retryAfter = loginsByAddress.take(request.ip)
      return retryAfter === 0
    })
    switch (verdict) {
      case Verdicts.accepted:
        return { name: credentials.username, credentials }
      case Verdicts.rejected:
        throw unauthorized(request, reply, 'Kafka refused these credentials: check the username and password')
      case Verdicts.busy:
        reply.header('Retry-After', String(Math.max(1, retryAfter)))
        throw new RateLimited('too many logins are being checked with Kafka right now: retry shortly')
      default:
        throw new KafkaUnavailable('could not check the credentials with Kafka: retry shortly')
    }
  }

  fastify.addHook('onRequest', async (request, reply) => {
    if (verifier === null || request.method === 'OPTIONS' || isPublicRoute(request)) {
      request.principal = ANONYMOUS
      return
    }
    request.principal = await principalOf(request, reply, verifier)
  })
}

export default fp(auth, { name: 'auth' })
