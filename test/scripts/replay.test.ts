import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import Kafka from 'node-rdkafka'
import { AlertDecoder, SchemaCache, alertJson, readAvroFile, type KafkaRecord } from '../../src/avro/index.js'
import { expandPaths, replayFiles, type KeyMode } from '../../scripts/replay.js'
import { uniqueName } from '../helpers/app.js'
import { deleteTopic, kafkaBrokers } from '../helpers/kafka.js'
import { FINK_ALERTS_DIR, REPO_ROOT, SHIPPED_ALERTS_DIR, jsonDifference } from '../avro/fink-alerts.js'

const BROKERS = kafkaBrokers()

/** Every message of partition 0 of a topic, from offset 0, until `count` arrived (bounded wait). */
async function consumeAll (topic: string, count: number): Promise<KafkaRecord[]> {
  const consumer = new Kafka.KafkaConsumer({
    'metadata.broker.list': BROKERS,
    'group.id': uniqueName('replay-test'),
    'enable.auto.commit': false,
    'fetch.message.max.bytes': 4 * 1024 * 1024
  }, { 'auto.offset.reset': 'earliest' })
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15000 }, (err) => (err ? reject(err) : resolve())))
  try {
    consumer.assign([{ topic, partition: 0, offset: 0 }])
    const out: KafkaRecord[] = []
    const deadline = Date.now() + 30_000
    while (out.length < count && Date.now() < deadline) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(100, (err, messages) => (err ? reject(err) : resolve(messages))))
      for (const m of batch) {
        out.push({ topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key as Buffer | null | undefined, value: m.value })
      }
    }
    return out
  } finally {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000)
      consumer.disconnect(() => { clearTimeout(timer); resolve() })
    })
  }
}

interface ExpectedAlert { file: string, index: number, json: string }

/** What the files' alerts must decode to, in replay order (expandPaths' order). */
async function expectedInOrder (files: string[]): Promise<ExpectedAlert[]> {
  const out: ExpectedAlert[] = []
  for (const path of files) {
    const folder = basename(dirname(path))
    const lines = readFileSync(join(FINK_ALERTS_DIR, 'expected', `${folder}__${basename(path)}.jsonl`), 'utf8').split('\n').filter((l) => l !== '')
    lines.forEach((json, index) => out.push({ file: `${folder}/${basename(path)}`, index, json }))
  }
  return out
}

async function replayAndCompare (t: test.TestContext, key: KeyMode, paths: string[], cache: SchemaCache, schemasDir?: string): Promise<KafkaRecord[]> {
  const topic = uniqueName(`replay_${key}`)
  t.after(() => deleteTopic(topic).catch(() => {}))
  const files = await expandPaths(paths)
  const expected = await expectedInOrder(files)
  const result = await replayFiles({ paths, topic, brokers: BROKERS, key, ...(schemasDir !== undefined ? { schemasDir } : {}) })
  assert.equal(result.sent, expected.length)
  assert.equal(result.delivered, expected.length)
  assert.equal(result.files, files.length)
  const records = await consumeAll(topic, expected.length)
  assert.equal(records.length, expected.length, 'every alert arrived')
  const decoder = new AlertDecoder(cache)
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as KafkaRecord
    const want = expected[i] as ExpectedAlert
    const d = await decoder.decode(rec)
    const diff = jsonDifference(alertJson(d, { int64: 'number', exclude: new Set() }), want.json)
    assert.equal(diff, undefined, `${key} key, ${want.file} record ${want.index}: ${diff}`)
  }
  return records
}

test('every Fink alert goes replay → Kafka → decoder → JSON unchanged, with each key convention', async (t) => {
  const allFiles = await expandPaths([FINK_ALERTS_DIR])
  assert.ok(allFiles.length >= 15)

  await t.test('key = schema JSON', async (t) => {
    const records = await replayAndCompare(t, 'schema', [FINK_ALERTS_DIR], new SchemaCache())
    const first = await readAvroFile(allFiles[0] as string)
    assert.equal(records[0]?.key?.toString('utf8'), first.schemaText)
  })

  await t.test('key = Fink version string (each file\'s schema as a version file, one only as _replayed)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-replay-versions-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    mkdirSync(join(dir, 'old'))
    const cache = new SchemaCache()
    const versions = new Map<string, string>()
    for (const path of allFiles) {
      const schema = cache.fromText((await readAvroFile(path)).schemaText)
      if (versions.has(schema.id)) continue
      const version = `9.${versions.size}_0.0.1`
      versions.set(schema.id, version)
      const file = versions.size === 1
        ? join(dir, 'old', `distribution_schema_fink_ztf_${version}_replayed.avsc`)
        : join(dir, `distribution_schema_fink_ztf_${version}.avsc`)
      writeFileSync(file, schema.text)
    }
    const records = await replayAndCompare(t, 'version', [FINK_ALERTS_DIR], new SchemaCache({ schemasDir: dir }), dir)
    const keys = new Set(records.map((r) => r.key?.toString('utf8')))
    assert.deepEqual([...keys].sort(), [...versions.values()].sort())
  })

  await t.test('no key, the default schema', async (t) => {
    const paths = ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro', 'ZTF19acyjzeo.avro'].map((f) => join(FINK_ALERTS_DIR, 'ztf', f))
    const dir = mkdtempSync(join(tmpdir(), 'fg-replay-default-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'ztf.avsc'), (await readAvroFile(paths[0] as string)).schemaText)
    const records = await replayAndCompare(t, 'none', paths, new SchemaCache({ defaultSchemaPath: join(dir, 'ztf.avsc') }))
    assert.ok(records.every((r) => r.key === null || r.key === undefined))
  })
})

test('--loop replays again until stopped, then flushes: every sent alert is in Kafka', async (t) => {
  const topic = uniqueName('replay_loop')
  t.after(() => deleteTopic(topic).catch(() => {}))
  const controller = new AbortController()
  const result = await replayFiles({
    paths: [join(SHIPPED_ALERTS_DIR, 'elasticc-alert-obj747.avro.gz')],
    topic,
    brokers: BROKERS,
    loop: true,
    rate: 100,
    partitions: 2,
    signal: controller.signal,
    onProgress: (p) => { if (p.sent >= 5) controller.abort() }
  })
  assert.ok(result.sent >= 5, `sent ${result.sent}`)
  assert.ok(result.passes >= 4, 'one record per pass: it looped')
  assert.equal(result.delivered, result.sent)
})

interface Run { code: number | null, stdout: string, stderr: string }

function runReplay (args: string[], env: Record<string, string> = {}, stopAfterMs?: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/replay.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KAFKA_BROKERS: BROKERS, ...env }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), stopAfterMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('bad command lines and bad inputs: one clear line, non-zero exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-replay-bad-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const notAvro = join(dir, 'broken.avro')
  writeFileSync(notAvro, 'this is not Avro')
  const emptyDir = join(dir, 'empty')
  mkdirSync(emptyDir)
  const alert = join(SHIPPED_ALERTS_DIR, 'ZTF19acihgng.avro')
  const topic = uniqueName('replay_bad')
  t.after(() => deleteTopic(topic).catch(() => {}))
  const cases: Array<[string, string[], number, RegExp]> = [
    ['unknown flag', ['--topic', topic, '--bogus', alert], 2, /^replay: unknown option --bogus$/m],
    ['missing --topic', [alert], 2, /^replay: --topic is required$/m],
    ['--topic without value', ['--topic'], 2, /^replay: --topic needs a value$/m],
    ['no paths', ['--topic', topic], 2, /^replay: no files or folders to replay/m],
    ['zero rate', ['--topic', topic, '--rate', '0', alert], 2, /^replay: --rate must be a positive number, got "0"$/m],
    ['negative rate', ['--topic', topic, '--rate=-5', alert], 2, /--rate must be a positive number, got "-5"/],
    ['--rate followed by a flag', ['--topic', topic, '--rate', '--loop', alert], 2, /^replay: --rate needs a value/m],
    ['non-numeric rate', ['--topic', topic, '--rate', 'fast', alert], 2, /--rate must be a positive number, got "fast"/],
    ['bad --key', ['--topic', topic, '--key', 'objectId', alert], 2, /^replay: --key must be one of schema, version, none, got "objectId"$/m],
    ['bad --partitions', ['--topic', topic, '--partitions', '1.5', alert], 2, /--partitions must be a positive integer/],
    ['bad topic name', ['--topic', 'a/b', alert], 1, /^replay: invalid topic name "a\/b"/m],
    ['missing file', ['--topic', topic, join(dir, 'nope.avro')], 1, /^replay: .*nope\.avro: no such file or folder$/m],
    ['folder without Avro files', ['--topic', topic, emptyDir], 1, /no \.avro or \.avro\.gz files/],
    ['not an Avro file', ['--topic', topic, notAvro], 1, /^replay: .*broken\.avro: not an Avro object container file/m],
    ['no shipped version for the schema', ['--topic', topic, '--key', 'version', alert], 1, /matches no Fink version schema .*use --key schema/],
    ['unreachable Kafka', ['--topic', topic, '--brokers', '127.0.0.1:1', alert], 1, /^replay: cannot reach Kafka at 127\.0\.0\.1:1/m]
  ]
  // The slow case (Kafka's 15 s connection bound) first, then the rest a few at a time.
  const queue = [...cases].reverse()
  const check = async ([what, args, code, message]: typeof cases[number]): Promise<void> => {
    const run = await runReplay(args)
    assert.equal(run.code, code, `${what}: exit ${run.code}, stderr ${run.stderr}`)
    assert.match(run.stderr, message, what)
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('replay: '))
    assert.equal(lines.length, 1, `${what}: one message line: ${run.stderr}`)
    assert.equal(run.stdout, '', what)
  }
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await check(next)
  }
  await Promise.all([worker(), worker(), worker(), worker()])
})

test('the command replays and prints one summary line; --loop stops on SIGINT with exit 0', async (t) => {
  const topic = uniqueName('replay_cli')
  t.after(() => deleteTopic(topic).catch(() => {}))
  const once = await runReplay(['--topic', topic, join(SHIPPED_ALERTS_DIR, 'ZTF19acihgng.avro'), join(SHIPPED_ALERTS_DIR, 'elasticc-alert-obj747.avro.gz')])
  assert.equal(once.code, 0, once.stderr)
  assert.match(once.stdout, new RegExp(`^replayed 2 alerts from 2 files \\(1 pass\\) to ${topic} in `))
  const loop = await runReplay(['--topic', topic, '--loop', '--rate', '20', join(SHIPPED_ALERTS_DIR, 'elasticc-alert-obj747.avro.gz')], {}, 2500)
  assert.equal(loop.code, 0, loop.stderr)
  assert.match(loop.stdout, /^replayed \d+ alerts from 1 files/)
  const sent = Number(/^replayed (\d+)/.exec(loop.stdout)?.[1])
  const records = await consumeAll(topic, 2 + sent)
  assert.equal(records.length, 2 + sent, 'everything reported as replayed is in the topic')
})
