import { createRequire } from 'node:module'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from './config.js'

/**
 * The gateway's log format: pino JSON lines, exactly one line per request (method, redacted URL,
 * route pattern, status, duration), and no secret ever: credentials live in headers (redacted
 * by path), in objects logged by mistake (redacted by key), and in URLs (`/ws?ticket=…`,
 * `?password=…`), which the request serializer rewrites before anything is written.
 */

export const REDACTED = '[REDACTED]'

/** Query parameters whose values are secrets, compared after percent-decoding and lower-casing. */
const SECRET_QUERY_KEYS: ReadonlySet<string> = new Set([
  'ticket', 'password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'access_token', 'refresh_token',
  'id_token', 'api_key', 'apikey', 'authorization', 'auth', 'credentials', 'sasl_password'
])

/** Paths pino replaces with [REDACTED] wherever a logged object carries them. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers["proxy-authorization"]', 'headers.cookie', 'headers["set-cookie"]',
  'authorization', '*.authorization', 'cookie', '*.cookie',
  'password', '*.password', '*.*.password', 'ticket', '*.ticket',
  'credentials', '*.credentials', '*.*.credentials',
  'KAFKA_PASSWORD', '*.KAFKA_PASSWORD', '["sasl.password"]', '*["sasl.password"]'
]

function decodeKey (raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).trim().toLowerCase()
  } catch {
    return raw.trim().toLowerCase()
  }
}

/**
 * The URL with the values of secret query parameters and any `user:password@` replaced by
 * [REDACTED]. Tolerates malformed percent-encoding: a URL we cannot parse is still redacted.
 */
export function redactUrl (url: string): string {
  const withoutUserInfo = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`)
  const q = withoutUserInfo.indexOf('?')
  if (q < 0) return withoutUserInfo
  const query = withoutUserInfo.slice(q + 1).split('&').map((part) => {
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq)
    return SECRET_QUERY_KEYS.has(decodeKey(key)) ? `${key}=${REDACTED}` : part
  })
  return `${withoutUserInfo.slice(0, q)}?${query.join('&')}`
}

interface SerializableRequest {
  method?: string
  url?: string
  ip?: string
  host?: string
  routeOptions?: { url?: string | undefined }
  headers?: Record<string, string | string[] | undefined>
}

/** What a request looks like in the log: no headers (they carry credentials), URL redacted. */
export function serializeRequest (request: SerializableRequest): Record<string, unknown> {
  const userAgent = request.headers?.['user-agent']
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
    route: request.routeOptions?.url,
    host: request.host,
    remoteAddress: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 200) : undefined
  }
}

export function serializeReply (reply: { statusCode?: number }): Record<string, unknown> {
  return { statusCode: reply.statusCode }
}

function prettyTransportAvailable (): boolean {
  if (process.stdout.isTTY !== true) return false
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/** pino options for the process. pino-pretty only for a person at a terminal, and only if installed. */
export function loggerOptions (config: Pick<Config, 'LOG_LEVEL'>, opts: { pretty?: boolean } = {}): LoggerOptions {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: 'fink-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { req: serializeRequest, res: serializeReply, err: stdSerializers.err }
  }
  if (opts.pretty ?? prettyTransportAvailable()) {
    options.transport = { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } }
  }
  return options
}

/** The process logger; `destination` lets tests capture every line. */
export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  if (destination !== undefined) return pino(loggerOptions(config, { pretty: false }), destination)
  return pino(loggerOptions(config))
}

/**
 * Fastify's request log lines, reduced to one per request: the completion line carries the
 * request (redacted), the status and the duration. Fastify's own "Route GET:/x?ticket=… not
 * found" line would print the raw URL, so 404s are left to the completion line. Handled 4xx
 * errors are logged at debug (the completion line already has the status); 5xx at error.
 */
export class GatewayLogController extends LogController {
  override incomingRequest (): void {}

  override routeNotFound (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 100) / 100 }
    if (error !== null && error !== undefined) {
      reply.log.error({ ...line, err: error }, 'request errored')
    } else {
      reply.log.info(line, 'request completed')
    }
  }

  override defaultErrorLog (error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (reply.statusCode >= 500) {
      reply.log.error({ err: error }, 'request failed')
    } else {
      reply.log.debug({ err: error }, 'request rejected')
    }
  }
}
