/**
 * `npm run kafka -- start|stop|status`: a local single-node Apache Kafka (KRaft) without Docker.
 * PLAINTEXT on 127.0.0.1:9092 (no restrictions), SASL_PLAINTEXT with SCRAM-SHA-512 and the
 * StandardAuthorizer on 127.0.0.1:9093 (users admin, alice, bob; see scripts/kafka/acls.ts).
 * Jars come from Maven into .cache/kafka/ (scripts/kafka/pom.xml); state lives in .kafka/.
 * scripts/test.ts uses startKafka / stopKafka.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, realpathSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { applyAclsOnce } from './kafka/acls.js'
import { classPath, ensureJars, javaCommand, logOptions } from './kafka/jars.js'
import { paths } from './kafka/paths.js'
import { metadataBrokers, portOpen } from './kafka/probe.js'
import { CommandError } from './kafka/run.js'
import { formatStorageOnce, writeServerProperties } from './kafka/storage.js'

export const LOCAL_PLAINTEXT = '127.0.0.1:9092'
export const LOCAL_SASL = '127.0.0.1:9093'
export const LOCAL_CONTROLLER = '127.0.0.1:9094'

const START_TIMEOUT_MS = 90_000
const STOP_GRACE_MS = 20_000
const POLL_MS = 200
const JVM_OPTIONS = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true']

export class KafkaScriptError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'KafkaScriptError'
  }
}

export interface KafkaStatus {
  running: boolean
  pid: number | undefined
  plaintext: { address: string, open: boolean }
  sasl: { address: string, open: boolean }
}

const say = (line: string): void => { console.log(`kafka: ${line}`) }
const shown = (path: string): string => relative(process.cwd(), path) || path

function brokersFromEnv (): string | undefined {
  const brokers = process.env.KAFKA_BROKERS
  return brokers !== undefined && brokers !== '' ? brokers : undefined
}

/** The pid in .kafka/kafka.pid if that process is alive and is our Kafka (pids get reused). */
function livePid (): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmdline.includes('kafka.Kafka')) return undefined
  } catch {
    // no /proc (not Linux): trust the live pid
  }
  return pid
}

export async function kafkaStatus (): Promise<KafkaStatus> {
  const [plaintextOpen, saslOpen] = await Promise.all([portOpen(LOCAL_PLAINTEXT), portOpen(LOCAL_SASL)])
  const pid = livePid()
  return {
    running: pid !== undefined && plaintextOpen && saslOpen,
    pid,
    plaintext: { address: LOCAL_PLAINTEXT, open: plaintextOpen },
    sasl: { address: LOCAL_SASL, open: saslOpen }
  }
}

function logTail (lines = 30): string {
  const tails: string[] = []
  for (const file of [paths.stdoutLog, paths.serverLog]) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    if (text !== '') tails.push(`--- ${shown(file)} (last lines) ---\n${text}`)
  }
  return tails.join('\n')
}

function spawnBroker (): number {
  const out = openSync(paths.stdoutLog, 'a')
  try {
    const child = spawn(javaCommand(), [
      ...JVM_OPTIONS, ...logOptions(), '-cp', classPath(), 'kafka.Kafka', paths.serverProperties
    ], { cwd: paths.root, detached: true, stdio: ['ignore', out, out] })
    child.on('error', () => {}) // reported below: the pid is missing or the process dies
    child.unref()
    if (child.pid === undefined) throw new KafkaScriptError(`cannot run ${javaCommand()} (is Java 17+ installed and on PATH?)`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

/** A zombie (exited, not yet reaped by an init that may never reap it) counts as gone. */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (not Linux)
  }
}

/** Waits until both listeners accept connections and answer a metadata request. */
async function waitUntilReady (pid: number, deadline: number): Promise<void> {
  let lastError = 'listeners not open yet'
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new KafkaScriptError(`Kafka (pid ${pid}) exited during start-up; see ${shown(paths.serverLog)}\n${logTail()}`)
    if (await portOpen(LOCAL_PLAINTEXT) && await portOpen(LOCAL_SASL)) {
      try {
        await metadataBrokers(LOCAL_PLAINTEXT)
        await metadataBrokers(LOCAL_SASL, {
          'security.protocol': 'sasl_plaintext',
          'sasl.mechanisms': 'SCRAM-SHA-512',
          'sasl.username': 'admin',
          'sasl.password': 'admin-secret'
        })
        return
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err)
      }
    }
    await sleep(POLL_MS)
  }
  throw new KafkaScriptError(`Kafka (pid ${pid}) not ready within ${START_TIMEOUT_MS / 1000} s (${lastError}); see ${shown(paths.serverLog)}\n${logTail()}`)
}

/**
 * Starts the local Kafka unless it runs already (or KAFKA_BROKERS names another one) and returns
 * when both listeners serve metadata and the ACLs are in place. started=false: nothing was started.
 */
export async function startKafka (): Promise<{ started: boolean }> {
  const began = Date.now()
  const external = brokersFromEnv()
  if (external !== undefined) {
    say(`KAFKA_BROKERS is set (${external}): nothing started`)
    return { started: false }
  }
  const running = livePid()
  if (running !== undefined) {
    // running, or still starting from another `start`: wait for it either way
    await waitUntilReady(running, began + START_TIMEOUT_MS)
    say(`already running (pid ${running}) on ${LOCAL_PLAINTEXT} and ${LOCAL_SASL}`)
    return { started: false }
  }
  for (const address of [LOCAL_PLAINTEXT, LOCAL_SASL, LOCAL_CONTROLLER]) {
    if (await portOpen(address)) {
      throw new KafkaScriptError(`${address} is in use by another process (not this project's Kafka, no live pid in ${shown(paths.pidFile)}): stop it, or set KAFKA_BROKERS to use it`)
    }
  }

  const resolved = await ensureJars(say)
  await mkdir(paths.logs, { recursive: true })
  await writeServerProperties()
  const formatted = await formatStorageOnce()
  // Maven and the storage tool have their own bounds: the broker's own start gets the full wait
  const deadline = Date.now() + START_TIMEOUT_MS
  const pid = spawnBroker()
  await writeFile(paths.pidFile, `${pid}\n`)
  let aclsApplied = false
  try {
    await waitUntilReady(pid, deadline)
    aclsApplied = await applyAclsOnce(LOCAL_PLAINTEXT)
  } catch (err) {
    // leave nothing half-started behind
    await stopPid(pid)
    throw err
  }
  const seconds = ((Date.now() - began) / 1000).toFixed(1)
  const notes = [resolved ? 'jars resolved' : 'jars cached', formatted ? 'storage formatted' : 'existing data', aclsApplied ? 'ACLs applied' : 'ACLs in place'].join(', ')
  say(`started in ${seconds} s (pid ${pid}; ${notes}): PLAINTEXT ${LOCAL_PLAINTEXT}, SASL_PLAINTEXT/SCRAM-SHA-512 ${LOCAL_SASL} (admin, alice, bob); log ${shown(paths.serverLog)}`)
  return { started: true }
}

async function stopPid (pid: number): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return 'stopped'
  }
  const deadline = Date.now() + STOP_GRACE_MS
  while (Date.now() < deadline) {
    if (!alive(pid)) return 'stopped'
    await sleep(POLL_MS)
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return 'stopped'
  }
  const killDeadline = Date.now() + 5000
  while (alive(pid) && Date.now() < killDeadline) await sleep(50)
  return 'killed'
}

/** Stops the local Kafka started by this script (SIGTERM, then SIGKILL after 20 s). */
export async function stopKafka (): Promise<void> {
  const pid = livePid()
  if (pid === undefined) {
    await rm(paths.pidFile, { force: true })
    say('not running')
    return
  }
  const began = Date.now()
  const how = await stopPid(pid)
  await rm(paths.pidFile, { force: true })
  const seconds = ((Date.now() - began) / 1000).toFixed(1)
  say(how === 'stopped' ? `stopped (pid ${pid}) in ${seconds} s` : `did not stop within ${STOP_GRACE_MS / 1000} s: killed (pid ${pid})`)
}

const USAGE = `usage: npm run kafka -- start|stop|status
  start   start the local Kafka (PLAINTEXT ${LOCAL_PLAINTEXT}, SASL_PLAINTEXT ${LOCAL_SASL}); nothing if KAFKA_BROKERS is set
  stop    stop it
  status  tell whether it runs (exit 0) or not (exit 3)`

async function main (args: readonly string[]): Promise<number> {
  if (args.length !== 1) {
    console.error(args.length === 0 ? 'kafka: missing command' : `kafka: expected one command, got: ${args.join(' ')}`)
    console.error(USAGE)
    return 2
  }
  switch (args[0]) {
    case 'start':
      await startKafka()
      return 0
    case 'stop':
      await stopKafka()
      return 0
    case 'status': {
      const status = await kafkaStatus()
      const ports = `PLAINTEXT ${status.plaintext.address} ${status.plaintext.open ? 'open' : 'closed'}, SASL_PLAINTEXT ${status.sasl.address} ${status.sasl.open ? 'open' : 'closed'}`
      if (status.running) say(`running (pid ${String(status.pid)}): ${ports}`)
      else say(`not running${status.pid !== undefined ? ` (pid ${status.pid} alive, listeners not ready)` : ''}: ${ports}`)
      return status.running ? 0 : 3
    }
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE)
      return 0
    default:
      console.error(`kafka: unknown command: ${args[0]}`)
      console.error(USAGE)
      return 2
  }
}

function isEntryPoint (): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
    console.error(`kafka: ${err instanceof Error ? err.message : String(err)}`)
    if (err instanceof CommandError && err.output.trim() !== '') console.error(err.output.trimEnd().split('\n').slice(-30).join('\n'))
    process.exitCode = 1
  })
}

export { paths as kafkaPaths }
