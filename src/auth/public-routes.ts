import type { FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without credentials in AUTH_MODE=kafka and without a rate limit (probes, docs, the dashboard's files). */
    public?: boolean
    /** GET route that accepts `?ticket=` instead of Basic credentials (a browser stream); /ws and /sse always do. */
    acceptsTicket?: boolean
  }
}

/**
 * Routes anyone may call in AUTH_MODE=kafka: they read nothing from Kafka. Everything else,
 * unknown paths included, needs credentials (fail closed). A route can also opt in with
 * `config: { public: true }`. Matched on the route pattern, not the raw URL, so what decides is
 * the handler that will actually run.
 */
const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  '/healthz', '/readyz', '/metrics', '/', '/index.html', '/favicon.ico',
  '/explore/:topic/:partition/:offset'
])
const PUBLIC_PREFIXES: readonly string[] = ['/docs/', '/assets/', '/static/']

export function isPublicRoute (request: FastifyRequest): boolean {
  if (request.routeOptions.config.public === true) return true
  const pattern = request.routeOptions.url
  if (pattern === undefined) return false
  return PUBLIC_ROUTES.has(pattern) || pattern === '/docs' || PUBLIC_PREFIXES.some((p) => pattern.startsWith(p))
}

/** Routes that accept `?ticket=` instead of Basic credentials: the browser streams. */
const TICKET_ROUTES: ReadonlySet<string> = new Set(['/ws', '/sse'])

export function acceptsTicket (request: FastifyRequest): boolean {
  return request.method === 'GET' &&
    (request.routeOptions.config.acceptsTicket === true || TICKET_ROUTES.has(request.routeOptions.url ?? ''))
}
