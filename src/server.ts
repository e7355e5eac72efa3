/**
 * The process: configuration, logger, HTTP server options, listen, and graceful shutdown.
 * `npm start` and the container run `node dist/src/server.js`.
 */
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Server } from 'node:http'
import closeWithGrace from 'close-with-grace'
import { pathToFileURL } from 'node:url'
import type { Logger } from 'pino'
import app from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { GatewayLogController, createLogger } from './logger.js'
import { BadParameter } from './errors.js'

/**
 * HTTP server options. `requestTimeout` bounds receiving a request (not answering it: long-polls
 * and WebSockets are unaffected), which is all a slow sender can hold a socket for. Requests
 * are small (Basic credentials, a ticket, a tiny JSON body): 16 KB of headers and 64 KB of body
 * bound memory per connection. keepAliveTimeout sits above the usual ingress/load-balancer idle
 * timeout (60 s) so that the proxy, not the gateway, closes idle keep-alive connections.
 */
export function serverOptions (logger: Logger): FastifyHttpOptions<Server> {
  return {
    loggerInstance: logger,
    logController: new GatewayLogController(),
    http: { maxHeaderSize: 16384 },
    requestTimeout: 30000,
    keepAliveTimeout: 65000,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle' as const,
    requestIdHeader: 'x-request-id',
    // a malformed URL (bad percent-encoding) gets the contract's error shape, not FST_ERR_BAD_URL
    frameworkErrors: (error, _request, reply) => {
      (reply as unknown as FastifyReply).code(400).send(new BadParameter(`the URL cannot be decoded (${error.code}): check its percent-encoding`))
    }
  }
}

export async function buildServer (config: Config, logger: Logger): Promise<FastifyInstance> {
  const fastify = Fastify(serverOptions(logger))
  await fastify.register(app, { config })
  return fastify
}

/**
 * Starts the gateway and installs the shutdown handler. On SIGTERM/SIGINT: `fastify.close()`
 * raises the shutting-down flag (readiness 503 at once), stops accepting connections, closes
 * streams with 1001 after their last commit and disconnects consumers (the plugins' preClose
 * and onClose hooks). All of it within SHUTDOWN_GRACE_SECONDS, else the process exits 1 with
 * a log line saying the bound was hit. A clean shutdown exits 0.
 */
export async function main (env: Record<string, string | undefined> = process.env): Promise<void> {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fink-gateway: configuration error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }

  const logger = createLogger(config)
  const fastify = await buildServer(config, logger)

  const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000
  closeWithGrace({
    delay: graceMs,
    logger: { error: (problem: unknown) => { logger.error(problem instanceof Error ? { err: problem } : { detail: problem }, 'shutdown failed') } },
    onTimeout: (delay) => { logger.error({ delayMs: delay }, 'shutdown did not finish within SHUTDOWN_GRACE_SECONDS: exiting anyway') },
    onSecondSignal: (signal) => { logger.warn({ signal }, 'second signal during shutdown: exiting now') }
  }, async ({ signal, err }) => {
    if (err !== undefined) logger.fatal({ err }, 'fatal error: shutting down')
    else logger.info({ signal, graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'shutdown requested')
    const started = Date.now()
    await fastify.close()
    logger.info({ ms: Date.now() - started }, 'shutdown complete')
  })

  try {
    await fastify.listen({ port: config.PORT, host: config.HOST })
  } catch (err) {
    logger.fatal({ err, port: config.PORT, host: config.HOST }, 'could not listen')
    process.exit(1)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main()
}
