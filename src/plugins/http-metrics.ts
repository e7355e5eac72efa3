import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'

const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Requests that matched no route share one label value, so scanners cannot grow the series. */
export const UNMATCHED_ROUTE = '(unmatched)'

/**
 * Observes every HTTP response in `fink_gateway_http_request_duration_seconds`, labelled by the
 * route pattern (`/alerts/:topic/:partition/:offset`), never the raw URL, so that the number of
 * series stays bounded whatever clients send.
 */
const httpMetrics: FastifyPluginAsync = async (fastify) => {
  const histogram = fastify.metrics.requestDuration
  fastify.addHook('onResponse', async (request, reply) => {
    const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER'
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    histogram.observe({ method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
}

export default fp(httpMetrics, { name: 'http-metrics', fastify: '5.x' })
