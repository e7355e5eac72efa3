/**
 * `npm run replay -- --topic T [--brokers B] [--key schema|version|none] [--rate N] [--loop]
 * [--partitions N] [--schemas-dir DIR] PATH...`: publishes the alerts of Avro files (.avro,
 * .avro.gz, folders) to Kafka in Fink's wire format. The work is replayFiles() in
 * scripts/replay/replay-files.ts; this file parses arguments, shows progress and exits.
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { KEY_MODES, ReplayError, replayFiles, type KeyMode, type ReplayOptions, type ReplayProgress } from './replay/replay-files.js'

export { replayFiles, ReplayError, expandPaths, defaultBrokers, KEY_MODES, type KeyMode, type ReplayOptions, type ReplayResult, type ReplayProgress } from './replay/replay-files.js'

const USAGE = `usage: npm run replay -- --topic T [--brokers B] [--key schema|version|none] [--rate N] [--loop] [--partitions N] [--schemas-dir DIR] PATH...
  --topic T         Kafka topic to publish to (created if missing)
  --brokers B       bootstrap servers (default: KAFKA_BROKERS, else localhost:9092)
  --key K           message key: schema (the writer schema JSON, default), version (Fink version string), none
  --rate N          alerts per second (default: as fast as possible)
  --loop            replay the files again and again until Ctrl-C
  --partitions N    partitions when the topic is created (default 1)
  --schemas-dir DIR Fink version schemas for --key version (default: the project's schemas/)
  PATH...           .avro / .avro.gz files and folders (searched recursively, sorted)`

/** A bad command line: its message is one line; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

function positive (name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`)
  }
  return n
}

/** The replay options of a command line (without brokers defaulting), or a UsageError. */
export function parseReplayArgs (argv: string[]): ReplayOptions & { help: boolean } {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        topic: { type: 'string' },
        brokers: { type: 'string' },
        key: { type: 'string' },
        rate: { type: 'string' },
        loop: { type: 'boolean' },
        partitions: { type: 'string' },
        'schemas-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    // Node's messages are multi-line and mention internals: say it in one line.
    const message = (err as Error).message
    const unknown = /Unknown option '([^']+)'/.exec(message)
    if (unknown !== null) throw new UsageError(`unknown option ${unknown[1]}`)
    const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message)
    if (missing !== null) throw new UsageError(`${missing[1]} needs a value`)
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/.exec(message)
    if (ambiguous !== null) throw new UsageError(`${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for a value starting with "-")`)
    throw new UsageError(message.split('\n')[0] ?? message)
  }
  const v = parsed.values
  const help = v.help === true
  if (help) return { help, paths: [], topic: '' }
  if (v.topic === undefined || v.topic === '') throw new UsageError('--topic is required')
  if (v.key !== undefined && !(KEY_MODES as readonly string[]).includes(v.key)) {
    throw new UsageError(`--key must be one of ${KEY_MODES.join(', ')}, got "${v.key}"`)
  }
  if (v.brokers !== undefined && v.brokers.trim() === '') throw new UsageError('--brokers must not be empty')
  const rate = positive('rate', v.rate, false)
  const partitions = positive('partitions', v.partitions, true)
  if (parsed.positionals.length === 0) throw new UsageError('no files or folders to replay (give at least one PATH)')
  const opts: ReplayOptions & { help: boolean } = { help, paths: parsed.positionals, topic: v.topic, key: (v.key ?? 'schema') as KeyMode, loop: v.loop === true }
  if (v.brokers !== undefined) opts.brokers = v.brokers
  if (rate !== undefined) opts.rate = rate
  if (partitions !== undefined) opts.partitions = partitions
  if (v['schemas-dir'] !== undefined) opts.schemasDir = v['schemas-dir']
  return opts
}

function progressLine (p: ReplayProgress, started: number): string {
  const seconds = (performance.now() - started) / 1000
  const rate = seconds > 0 ? Math.round(p.sent / seconds) : 0
  const of = p.perPass !== undefined ? ` (pass ${p.pass + 1}, ${p.perPass} per pass)` : ''
  return `sent ${p.sent}, delivered ${p.delivered}${of}, ${rate}/s, ${p.file}`
}

async function main (): Promise<number> {
  let opts
  try {
    opts = parseReplayArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`replay: ${(err as Error).message}\n${err instanceof UsageError ? 'run with --help for usage\n' : ''}`)
    return 2
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  const controller = new AbortController()
  const stop = (): void => { controller.abort() }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const tty = process.stderr.isTTY
  const started = performance.now()
  try {
    const result = await replayFiles({
      ...opts,
      signal: controller.signal,
      onProgress: tty ? (p) => { process.stderr.write(`\r\x1b[K${progressLine(p, started)}`) } : undefined
    })
    if (tty) process.stderr.write('\r\x1b[K')
    const rate = result.seconds > 0 ? Math.round(result.delivered / result.seconds) : result.delivered
    process.stdout.write(`replayed ${result.delivered} alerts from ${result.files} files (${result.passes} pass${result.passes === 1 ? '' : 'es'}) to ${opts.topic} in ${result.seconds.toFixed(1)} s (${rate}/s), key ${opts.key ?? 'schema'}\n`)
    return 0
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K')
    const message = err instanceof ReplayError ? err.message : `${(err as Error).name}: ${(err as Error).message}`
    process.stderr.write(`replay: ${message.split('\n')[0]}\n`)
    return 1
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main()
}
