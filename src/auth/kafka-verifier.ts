/**
 * Checks HTTP Basic credentials against Kafka itself (AUTH_MODE=kafka): a short-lived producer
 * logs in with them over SASL and asks for cluster metadata, which needs no ACL. Kafka is the
 * only user database; the gateway keeps no password beyond the request, the principal and a
 * salted hash of successful logins for a short time.
 */
import { createHmac, randomBytes } from 'node:crypto'
import rdkafka from 'node-rdkafka'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import { connectionOptions } from '../kafka/consumer-options.js'
import { BoundedTtlMap } from './bounded-ttl-map.js'
import type { Credentials } from './basic-credentials.js'

export const Verdicts = {
  accepted: 'accepted',
  rejected: 'rejected',
  unavailable: 'unavailable',
  /** Too many checks at once, or this client asked for too many: try again shortly. */
  busy: 'busy'
} as const
export type Verdict = typeof Verdicts[keyof typeof Verdicts]

export interface VerifierOptions {
  config: Config
  log: FastifyBaseLogger
  /** Longest wait for Kafka's answer; a check that takes longer is "unavailable". */
  timeoutMs?: number
  /** How long a successful login is remembered (a changed password takes effect after it). */
  acceptedTtlMs?: number
  /** How long a refused password is remembered, so repeating it does not reach Kafka. */
  rejectedTtlMs?: number
  maxCachedLogins?: number
  /** Checks against Kafka at the same time; each holds a libuv thread while it waits. */
  maxInFlight?: number
}

/**
 * librdkafka reports a failed SASL handshake as a log line (and, for clients that poll, an
 * ERR__AUTHENTICATION event) and then keeps retrying until the metadata request times out.
 * Waiting for the timeout would make every wrong password cost seconds, so either signal
 * settles the check at once.
 */
const AUTH_FAILURE_LOG = /SASL authentication error|Authentication failed|SASL SCRAM .*failed|SASL handshake failed/i
const ERR_AUTHENTICATION = rdkafka.CODES.ERRORS.ERR__AUTHENTICATION
const ERR_SASL_AUTHENTICATION_FAILED = rdkafka.CODES.ERRORS.ERR_SASL_AUTHENTICATION_FAILED

export class KafkaCredentialVerifier {
  readonly #config: Config
  readonly #log: FastifyBaseLogger
  readonly #timeoutMs: number
  readonly #acceptedTtlMs: number
  readonly #rejectedTtlMs: number
  readonly #maxInFlight: number
  /** Per-process random key: the cache holds HMACs that are useless outside this process. */
  readonly #salt = randomBytes(32)
  readonly #verdicts: BoundedTtlMap<string, Verdict>
  readonly #inFlight = new Map<string, Promise<Verdict>>()
  readonly #clients = new Set<Promise<void>>()
  #closed = false

  constructor (opts: VerifierOptions) {
    this.#config = opts.config
    this.#log = opts.log
    this.#timeoutMs = opts.timeoutMs ?? 6000
    this.#acceptedTtlMs = opts.acceptedTtlMs ?? 60_000
    this.#rejectedTtlMs = opts.rejectedTtlMs ?? 10_000
    this.#maxInFlight = opts.maxInFlight ?? 8
    this.#verdicts = new BoundedTtlMap({ maxEntries: opts.maxCachedLogins ?? 4096 })
  }

  /** Kafka clients this verifier has open right now (a finished check leaves none). */
  get openClients (): number {
    return this.#clients.size
  }

  /** Remembered verdicts (bounded by maxCachedLogins). */
  get cachedLogins (): number {
    return this.#verdicts.size
  }

  #keyOf (credentials: Credentials): string {
    return createHmac('sha256', this.#salt)
      .update(`${credentials.username.length}:${credentials.username}:${credentials.password}`)
      .digest('base64url')
  }

  /**
   * Whether Kafka accepts these credentials; concurrent checks of the same ones share one
   * login. `admit` is asked only when a new login against Kafka is needed (a per-client bound).
   */
  async verify (credentials: Credentials, admit: () => boolean = () => true): Promise<Verdict> {
    if (this.#closed) return Verdicts.unavailable
    const key = this.#keyOf(credentials)
    const remembered = this.#verdicts.get(key)
    if (remembered !== undefined) return remembered
    const pending = this.#inFlight.get(key)
    if (pending !== undefined) return await pending
    if (this.#inFlight.size >= this.#maxInFlight || !admit()) return Verdicts.busy

    const check = this.#login(credentials).then((verdict) => {
      if (verdict === Verdicts.accepted) this.#verdicts.set(key, verdict, this.#acceptedTtlMs)
      else if (verdict === Verdicts.rejected) this.#verdicts.set(key, verdict, this.#rejectedTtlMs)
      return verdict
    }).finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, check)
    return await check
  }

  /** Forgets every remembered login. */
  forget (): void {
    this.#verdicts.clear()
  }

  /** Stops new checks and waits (bounded) for the Kafka clients still open to be gone. */
  async close (): Promise<void> {
    this.#closed = true
    this.#verdicts.clear()
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.#timeoutMs + 5000).unref())
    await Promise.race([Promise.allSettled([...this.#clients]), deadline])
  }

  #login (credentials: Credentials): Promise<Verdict> {
    const started = Date.now()
    const producer = new rdkafka.Producer({
      ...connectionOptions(this.#config, credentials),
      'client.id': 'fink-gateway-auth',
      // a failed login is retried by librdkafka until the metadata request times out: keep
      // those retries few, they load the broker for nothing
      'reconnect.backoff.ms': 1000,
      'reconnect.backoff.max.ms': 2000,
      'socket.connection.setup.timeout.ms': Math.min(5000, this.#timeoutMs),
      log_level: 3,
      // the shared options turn event callbacks off (they leaked in long-lived clients,
      // node-rdkafka#731); this client lives seconds and needs them to see a refused login
      event_cb: true
    })

    let settle: (verdict: Verdict) => void = () => {}
    const verdict = new Promise<Verdict>((resolve) => { settle = resolve })
    let settled = false
    const decide = (value: Verdict, why: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const log = { user: credentials.username, verdict: value, ms: Date.now() - started, why }
      if (value === Verdicts.accepted) this.#log.debug(log, 'kafka login checked')
      else this.#log.info(log, 'kafka login checked')
      settle(value)
    }
    const timer = setTimeout(() => decide(Verdicts.unavailable, 'no answer from Kafka in time'), this.#timeoutMs + 1000)

    producer.on('event.log', (event: { message?: string }) => {
      if (typeof event.message === 'string' && AUTH_FAILURE_LOG.test(event.message)) decide(Verdicts.rejected, 'SASL authentication failed')
    })
    producer.on('event.error', (err: { code?: number }) => {
      if (err.code === ERR_AUTHENTICATION || err.code === ERR_SASL_AUTHENTICATION_FAILED) decide(Verdicts.rejected, 'SASL authentication failed')
    })

    // The client lives until connect() has called back: on failure node-rdkafka destroys it
    // itself, on success we disconnect it (bounded: disconnect can hang, librdkafka#4486).
    // Never disconnected while connect() is pending (that races, node-rdkafka#1057).
    const done = new Promise<void>((resolve) => {
      producer.connect({ timeout: this.#timeoutMs }, (err) => {
        if (err === null || err === undefined) {
          decide(Verdicts.accepted, 'metadata received')
          const bound = setTimeout(() => {
            this.#log.warn({ user: credentials.username }, 'kafka login check: disconnect did not finish in time')
            resolve()
          }, 5000)
          try {
            producer.disconnect(1000, () => { clearTimeout(bound); resolve() })
          } catch (disconnectErr) {
            clearTimeout(bound)
            this.#log.warn({ err: disconnectErr }, 'kafka login check: disconnect failed')
            resolve()
          }
        } else {
          const code = (err as { code?: number }).code
          if (code === ERR_AUTHENTICATION || code === ERR_SASL_AUTHENTICATION_FAILED) decide(Verdicts.rejected, 'SASL authentication failed')
          else decide(Verdicts.unavailable, err.message)
          resolve()
        }
      })
    })
    this.#clients.add(done)
    const forget = (): void => {
      this.#clients.delete(done)
      producer.removeAllListeners()
    }
    done.then(forget, forget)
    return verdict
  }
}
