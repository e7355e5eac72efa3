import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { GatewayMetrics } from './metrics.js'
import auth from './auth/plugin.js'
import cors from './plugins/cors.js'
import rateLimit from './plugins/rate-limit.js'
import authRoutes from './routes/auth.js'
import lifecycle from './plugins/lifecycle.js'
import httpMetrics from './plugins/http-metrics.js'
import docs from './plugins/docs.js'
import kafkaHealth from './plugins/kafka-health.js'
import healthRoutes from './routes/health.js'
import metricsRoutes from './routes/metrics.js'
import dashboardRoutes from './routes/dashboard.js'
import kafkaSessions from './kafka/plugin.js'
import decoder from './plugins/decoder.js'
import pollConsumeRoutes from './routes/poll-consume.js'
import wsRoutes from './routes/ws.js'
import sseRoutes from './routes/sse.js'
import topicsRoutes from './routes/topics.js'
import schemasRoutes from './routes/schemas.js'
import alertsRoutes from './routes/alerts.js'
import { NotFound } from './errors.js'

export interface AppOptions {
  config: Config
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    metrics: GatewayMetrics
  }
}

/**
 * The whole gateway as a Fastify plugin. It never listens: `src/server.ts` does that, and tests
 * build it with `buildApp()` (test/helpers/app.ts) and use `inject` / `injectWS`.
 */
const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  const instance = fastify.withTypeProvider<TypeBoxTypeProvider>()
  instance.decorate('config', opts.config)
  instance.decorate('metrics', new GatewayMetrics())

  // --- plugins: one per outside resource (each file has a `name` and its `dependencies`) ---
  await instance.register(lifecycle)
  await instance.register(httpMetrics)
  await instance.register(docs) // before the routes: it collects them as they are added
  await instance.register(kafkaHealth)
  await instance.register(cors) // first of the three: 401/429 carry CORS headers, bad WebSocket origins stop before auth
  await instance.register(auth)
  await instance.register(rateLimit) // after auth: it limits per principal
  await instance.register(kafkaSessions)
  await instance.register(decoder)

  // --- routes: one file per endpoint group ---
  await instance.register(healthRoutes)
  await instance.register(metricsRoutes)
  await instance.register(authRoutes)
  await instance.register(dashboardRoutes)
  await instance.register(pollConsumeRoutes)
  await instance.register(wsRoutes)
  await instance.register(sseRoutes)
  await instance.register(topicsRoutes)
  await instance.register(schemasRoutes)
  await instance.register(alertsRoutes)
  // an unknown path gets the contract's error shape too (Fastify's own 404 has no FG_ code)
  instance.setNotFoundHandler(async (request) => { throw new NotFound(`no route ${request.method} ${request.url.split('?')[0] ?? ''}`) })
}

export default fp(app, { name: 'fink-gateway' })

export type App = FastifyInstance
