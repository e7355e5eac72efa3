import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { allowedOrigins } from '../config.js'
import { Forbidden } from '../errors.js'

/**
 * Which web pages may use the gateway from a browser: ALLOWED_ORIGINS, else only the
 * gateway's own origin.
 * - REST: CORS headers (@fastify/cors) for the listed origins only.
 * - WebSocket: browsers do not apply CORS to WebSockets, so an upgrade whose `Origin` is neither
 *   listed nor the gateway's own gets 403 in onRequest, before any route code (and before the
 *   auth plugin spends a ticket) runs, hence before any consumer exists. Requests without an
 *   Origin are not from a browser page and pass (they authenticate like any other request).
 */
const corsPlugin: FastifyPluginAsync = async (fastify) => {
  const allowed: ReadonlySet<string> = new Set(allowedOrigins(fastify.config).map(normaliseOrigin))

  await fastify.register(cors, {
    origin: allowed.size === 0 ? false : (origin, callback) => { callback(null, origin !== undefined && allowed.has(normaliseOrigin(origin))) },
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Requested-With'],
    exposedHeaders: ['Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600
  })

  fastify.addHook('onRequest', async (request) => {
    if (!isWebSocketUpgrade(request)) return
    const origin = request.headers.origin
    if (origin === undefined || allowed.has(normaliseOrigin(origin)) || isSameOrigin(origin, request)) return
    request.log.warn({ origin }, 'websocket from an origin not in ALLOWED_ORIGINS refused')
    throw new Forbidden(`WebSocket connections from ${JSON.stringify(origin).slice(0, 200)} are not allowed: the gateway's ALLOWED_ORIGINS does not list this origin`)
  })

  // An upgrade refused in onRequest (here, by auth or by the rate limit) never reaches
  // @fastify/websocket's own onRequest hook, so nothing would close its socket after the error
  // response: it would stay open as long as the client likes. Close it once the answer is out.
  fastify.addHook('onResponse', async (request) => {
    if (!isWebSocketUpgrade(request) || (request as { ws?: boolean }).ws === true) return
    const socket = request.raw.socket
    if (socket === null || socket.destroyed) return
    socket.end()
    setTimeout(() => { socket.destroy() }, SOCKET_LINGER_MS).unref()
  })
}

/** How long a refused upgrade's socket may take to flush its error response before it is cut. */
const SOCKET_LINGER_MS = 1000

function isWebSocketUpgrade (request: FastifyRequest): boolean {
  return (request.headers.upgrade ?? '').toLowerCase() === 'websocket'
}

/** `https://Example.org:443/` and `https://example.org` are the same origin. */
export function normaliseOrigin (origin: string): string {
  try {
    const url = new URL(origin)
    return url.origin === 'null' ? origin : url.origin
  } catch {
    return origin
  }
}

/** The page was served by this gateway: its origin's host is the Host the browser connected to. */
function isSameOrigin (origin: string, request: FastifyRequest): boolean {
  const host = request.headers.host
  if (host === undefined) return false
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host}`).host
  } catch {
    return false
  }
}

export default fp(corsPlugin, { name: 'cors' })
