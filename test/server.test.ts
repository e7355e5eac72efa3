import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import { KAFKA_BROKERS } from './helpers/app.js'

const root = join(import.meta.dirname, '..')

interface Running {
  child: ChildProcess
  port: number
  lines: () => string[]
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Runs src/server.ts as `npm start` would (under tsx), on a free port. */
function startServer (t: TestContext, env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    // a clean environment (only what the test sets), keeping c8's coverage collection
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.NODE_V8_COVERAGE !== undefined ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return { child, port: 0, lines: () => out.split('\n').filter((l) => l !== ''), exited }
}

async function listeningPort (server: Running): Promise<number> {
  const deadline = Date.now() + 30000
  while (Date.now() < deadline) {
    for (const line of server.lines()) {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(line)
      if (match !== null) return Number(match[1])
    }
    if (server.child.exitCode !== null) break
    await sleep(100)
  }
  throw new Error(`the server did not listen:\n${server.lines().join('\n')}`)
}

function get (port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('a bad configuration value stops start-up with one line naming the variable, exit 1', async (t) => {
  const cases = [['PORT', 'eighty'], ['LOG_LEVEL', 'loud'], ['SHUTDOWN_GRACE_SECONDS', '-3']] as const
  await Promise.all(cases.map(async ([name, value]) => {
    const server = startServer(t, { KAFKA_BROKERS, [name]: value })
    const { code } = await server.exited
    assert.equal(code, 1, `${name}=${value}`)
    const lines = server.lines()
    assert.equal(lines.length, 1, lines.join('\n'))
    assert.match(lines[0] ?? '', new RegExp(`^fink-gateway: configuration error: ${name}=`))
  }))
})

test('the server listens, answers its probes, logs JSON and exits 0 on SIGTERM', async (t) => {
  const server = startServer(t, { KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  const port = await listeningPort(server)

  assert.deepEqual(await get(port, '/healthz'), { status: 200, body: '{"status":"ok"}' })
  let ready = await get(port, '/readyz')
  const deadline = Date.now() + 10000
  while (ready.status !== 200 && Date.now() < deadline) {
    await sleep(200)
    ready = await get(port, '/readyz')
  }
  assert.equal(ready.status, 200, ready.body)

  // maxHeaderSize bounds what one request can make the server hold
  const oversized = await get(port, '/healthz', { 'x-filler': 'a'.repeat(20000) })
  assert.equal(oversized.status, 431)

  await get(port, '/no-such-page?ticket=planted-secret')
  server.child.kill('SIGTERM')
  const { code, signal } = await server.exited
  assert.equal(signal, null)
  assert.equal(code, 0, server.lines().join('\n'))

  const json = server.lines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string, signal?: string })
  assert.ok(json.some((l) => l.msg === 'shutdown requested' && l.signal === 'SIGTERM'))
  assert.ok(json.some((l) => l.msg === 'shutdown complete'))
  assert.ok(json.some((l) => l.msg === 'request completed'))
  assert.ok(!server.lines().join('\n').includes('planted-secret'))
})

test('SIGINT shuts down cleanly too', async (t) => {
  const server = startServer(t, { KAFKA_BROKERS, PORT: '0', HOST: '127.0.0.1' })
  await listeningPort(server)
  server.child.kill('SIGINT')
  const { code } = await server.exited
  assert.equal(code, 0, server.lines().join('\n'))
})
