import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { RateLimited } from '../errors.js'
import { TokenBuckets } from '../auth/token-buckets.js'
import { isPublicRoute } from '../auth/public-routes.js'

/** Buckets kept at once; a dropped one starts again full, so this bounds memory, not fairness. */
const MAX_TRACKED_CLIENTS = 10000

/**
 * RATE_LIMIT_PER_SECOND requests per second (bursts up to one second's worth) for each
 * principal, or each client address when the principal is the anonymous one. Over it: 429
 * FG_RATE_LIMITED with `Retry-After`. Runs after the auth plugin, which sets the principal;
 * public routes (probes, metrics, docs, the dashboard's files) are not limited. A WebSocket or
 * a long poll counts once, when it starts.
 */
const rateLimit: FastifyPluginAsync = async (fastify) => {
  const perSecond = fastify.config.RATE_LIMIT_PER_SECOND
  const buckets = new TokenBuckets({ ratePerSecond: perSecond, maxKeys: MAX_TRACKED_CLIENTS })

  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS' || isPublicRoute(request)) return
    const retryAfter = buckets.take(clientKey(request))
    if (retryAfter === 0) return
    reply.header('Retry-After', String(retryAfter))
    throw new RateLimited(`more than ${perSecond} requests per second from ${request.principal.credentials === null ? 'this address' : request.principal.name}: retry after ${retryAfter} s`)
  })
}

function clientKey (request: FastifyRequest): string {
  return request.principal.credentials === null ? `address:${request.ip}` : `principal:${request.principal.name}`
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['auth'] })
