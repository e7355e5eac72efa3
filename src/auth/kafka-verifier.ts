/**
 * Checks HTTP Basic credentials against Kafka itself (AUTH_MODE=kafka): a short-lived client
 * logs in to a bootstrap broker over SASL with them (a login needs no ACL) and is destroyed as
 * soon as the broker has accepted or refused it. Kafka is the only user database; the gateway
 * keeps no password beyond the request and the principal, only salted hashes of recent verdicts.
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
 * librdkafka reports the outcome of a SASL handshake only in its log (and, for clients that
 * poll, an ERR__AUTHENTICATION event), then keeps retrying a refused one. Either signal settles
 * the check at once.
 */
const AUTH_FAILURE_LOG = /SASL authentication error|Authentication failed|SASL SCRAM .*failed|SASL handshake failed/i
/** With debug=security,broker: SCRAM's own success line, or any broker connection reaching UP after the SASL states. */
const AUTH_SUCCESS_LOG = /Authenticated as |changed state AUTH_\w+ -> UP/
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
      // a refused login is retried by librdkafka until the client is destroyed: keep it slow
      'reconnect.backoff.ms': 1000,
      'reconnect.backoff.max.ms': 2000,
      'socket.connection.setup.timeout.ms': Math.min(5000, this.#timeoutMs),
      // the verdict is read from these log lines (never written anywhere)
      debug: 'broker,security',
      log_level: 7,
      // the shared options turn event callbacks off (they leaked in long-lived clients,
      // node-rdkafka#731); this client lives for one login and needs them
      event_cb: true
    })
    const native = nativeClientOf(producer)

    let settle: (verdict: Verdict) => void = () => {}
    const verdict = new Promise<Verdict>((resolve) => { settle = resolve })
    let settled = false
    let release: () => void = () => {}
    const decide = (value: Verdict, why: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const log = { user: credentials.username, verdict: value, ms: Date.now() - started, why }
      if (value === Verdicts.accepted) this.#log.debug(log, 'kafka login checked')
      else this.#log.info(log, 'kafka login checked')
      settle(value)
      release()
    }
    const timer = setTimeout(() => { decide(Verdicts.unavailable, 'no answer from Kafka in time') }, this.#timeoutMs)

    producer.on('event.log', (event: { message?: string }) => {
      if (typeof event.message !== 'string') return
      if (AUTH_FAILURE_LOG.test(event.message)) decide(Verdicts.rejected, 'SASL authentication failed')
      else if (AUTH_SUCCESS_LOG.test(event.message)) decide(Verdicts.accepted, 'SASL authentication succeeded')
    })
    producer.on('event.error', (err: { code?: number }) => {
      if (err.code === ERR_AUTHENTICATION || err.code === ERR_SASL_AUTHENTICATION_FAILED) decide(Verdicts.rejected, 'SASL authentication failed')
    })

    // Only librdkafka's handle is created: no metadata request, whose blocking wait would hold
    // a libuv thread (4 by default, shared with every consumer) for the whole timeout on each
    // wrong password. librdkafka connects and logs in to a bootstrap broker by itself; the
    // handle is destroyed as soon as the verdict is known (bounded: disconnect can hang,
    // librdkafka#4486), and never while its creation is pending.
    const done = new Promise<void>((resolve) => {
      let created = false
      let destroying = false
      const destroy = (): void => {
        if (destroying || !created) return
        destroying = true
        const bound = setTimeout(() => {
          this.#log.warn({ user: credentials.username }, 'kafka login check: client did not close in time')
          resolve()
        }, CLOSE_TIMEOUT_MS)
        native.client.disconnect(() => {
          clearTimeout(bound)
          native.client.configureCallbacks(false, native.callbacks)
          resolve()
        })
      }
      release = destroy
      native.client.configureCallbacks(true, native.callbacks)
      native.client.connect((err) => {
        if (err !== null && err !== undefined) {
          native.client.configureCallbacks(false, native.callbacks)
          decide(Verdicts.unavailable, `cannot create a Kafka client: ${String((err as { message?: unknown }).message ?? err)}`)
          resolve()
          return
        }
        created = true
        if (settled) destroy()
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

const CLOSE_TIMEOUT_MS = 5000

interface NativeClient {
  connect: (callback: (err: unknown) => void) => void
  disconnect: (callback: () => void) => void
  configureCallbacks: (enable: boolean, configs: unknown) => void
}

/**
 * node-rdkafka's native client behind a Producer. Its public connect() always waits for
 * metadata on the thread pool; the login check needs only the handle. Checked on each use so
 * that a node-rdkafka upgrade that changes these internals fails loudly in the tests.
 */
function nativeClientOf (producer: rdkafka.Producer): { client: NativeClient, callbacks: unknown } {
  const internals = producer as unknown as { _client?: Partial<NativeClient>, _cb_configs?: unknown }
  const client = internals._client
  if (typeof client?.connect !== 'function' || typeof client.disconnect !== 'function' ||
    typeof client.configureCallbacks !== 'function' || internals._cb_configs === undefined) {
    throw new Error('node-rdkafka internals changed: the Kafka login check needs Producer._client.connect/disconnect/configureCallbacks')
  }
  return { client: client as NativeClient, callbacks: internals._cb_configs }
}
