/**
 * `npm test`: runs every test file against a real Kafka. When KAFKA_BROKERS is unset it starts
 * the project's local Kafka (scripts/kafka.ts) first and stops it afterwards, so a fresh clone
 * needs nothing running. `npm test -- test/avro` runs only the files under that path;
 * `npm run test:faults` runs the long fault-injection suite in test/faults.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startKafka, stopKafka, LOCAL_PLAINTEXT, LOCAL_SASL } from './kafka.js'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const faults = args.includes('--faults')
const paths = args.filter((a) => !a.startsWith('--'))

function testFiles (path: string): string[] {
  const full = join(root, path)
  if (statSync(full).isFile()) return [path]
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(root, join(full, f)))
    .sort()
}

const roots = paths.length > 0 ? paths : [faults ? 'test/faults' : 'test']
const files = roots.flatMap(testFiles).filter((f) => faults || !f.startsWith(join('test', 'faults')))
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`)
  process.exit(1)
}

// The decoding tests compare every file of Fink's sample set with its reference decoding
// (fink-alerts/: alerts, schemas and expected JSON, beside the clone in CI). Say so plainly
// rather than let a dozen tests fail on a missing folder.
const finkAlerts = process.env.FINK_ALERTS_DIR ?? join(root, '..', 'shared', 'fink-alerts')
if (!existsSync(join(finkAlerts, 'expected'))) {
  console.error(`npm test: the Fink sample alerts are not at ${finkAlerts}; set FINK_ALERTS_DIR to a folder ` +
    'holding ztf/, lsst/ and expected/ (see data/alerts/README.md)')
  process.exit(1)
}

let startedKafka = false
if (process.env.KAFKA_BROKERS === undefined || process.env.KAFKA_BROKERS === '') {
  const result = await startKafka()
  startedKafka = result.started
  process.env.KAFKA_BROKERS = LOCAL_PLAINTEXT
  process.env.KAFKA_SASL_BROKERS = LOCAL_SASL
}

const c8 = join(root, 'node_modules', '.bin', 'c8')
const coverage = !faults && process.env.NO_COVERAGE === undefined
const command = coverage ? c8 : process.execPath
// fault tests stop the broker or load it with hundreds of consumers: one file at a time
const concurrency = faults ? '1' : (process.env.TEST_CONCURRENCY ?? '2')
const nodeArgs = ['--import', 'tsx', '--test', '--test-reporter=spec',
  `--test-concurrency=${concurrency}`, ...files]
const commandArgs = coverage
  ? ['--reporter=text-summary', '--reporter=lcov', '--src=src', '--exclude=test/**', '--exclude=scripts/**', '--exclude=bench/**', process.execPath, ...nodeArgs]
  : nodeArgs

// Every node-rdkafka call runs on libuv's thread pool, sized once when a process starts: the
// tests open many sessions at once, as the gateway does in production (see the README, Operating).
const env = { UV_THREADPOOL_SIZE: '64', ...process.env }
const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env })
const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
process.on('SIGINT', forward)
process.on('SIGTERM', forward)
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s !== null ? 1 : 0))))
if (startedKafka) await stopKafka()
process.exit(code)
