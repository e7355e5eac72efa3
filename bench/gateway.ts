/**
 * The gateway under test, as its own process on a free loopback port: `node --import tsx
 * src/server.ts` (BENCH_GATEWAY=dist runs the built dist/src/server.js instead). Clients run in
 * other processes, so none of them shares the gateway's event loop. BENCH_GATEWAY_ENTRY=file.ts runs
 * another entry point (another branch's server, say) the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT_DIR, stopChild } from './child.js'

export interface Gateway {
  pid: number
  port: number
  httpUrl: string
  wsUrl: string
  child: ChildProcess
  /** Settings given to the gateway, for the results. */
  env: Record<string, string>
  output: () => string
  stop: () => Promise<void>
}

export interface GatewayOptions {
  brokers: string
  /** Write a V8 CPU profile of the gateway process into this folder when it exits. */
  cpuProfileDir?: string
  env?: Record<string, string>
}

const READY_TIMEOUT_MS = 60_000
const OUTPUT_KEPT = 16384

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Limits lifted so that the bench measures throughput, not the gateway's protective limits. */
export function benchGatewayEnv (brokers: string, port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: brokers,
    AUTH_MODE: 'none',
    LOG_LEVEL: 'warn',
    MAX_SESSIONS: '2000',
    MAX_SESSIONS_PER_PRINCIPAL: '2000',
    RATE_LIMIT_PER_SECOND: '100000',
    REST_SESSION_IDLE_SECONDS: '600'
  }
}

export function gatewayCommand (): { command: string, args: string[], label: string } {
  const entry = process.env.BENCH_GATEWAY_ENTRY
  if (entry !== undefined && entry !== '') return { command: process.execPath, args: ['--import', 'tsx', entry], label: `node --import tsx ${entry}` }
  const built = join(ROOT_DIR, 'dist', 'src', 'server.js')
  if (process.env.BENCH_GATEWAY === 'dist') {
    if (!existsSync(built)) throw new Error('BENCH_GATEWAY=dist but dist/src/server.js is missing: run npm run build')
    return { command: process.execPath, args: [built], label: 'node dist/src/server.js' }
  }
  return { command: process.execPath, args: ['--import', 'tsx', join(ROOT_DIR, 'src', 'server.ts')], label: 'node --import tsx src/server.ts' }
}

export async function startGateway (opts: GatewayOptions): Promise<Gateway> {
  const port = await freePort()
  const env = { ...benchGatewayEnv(opts.brokers, port), ...opts.env }
  const { command, args } = gatewayCommand()
  const nodeArgs = opts.cpuProfileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []
  const child = spawn(command, [...nodeArgs, ...args], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const httpUrl = `http://127.0.0.1:${port}`
  const gateway: Gateway = {
    pid: child.pid ?? 0,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    child,
    env,
    output: () => output,
    stop: () => stopChild(child, 30_000)
  }
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}: ${output.trim().split('\n').slice(-5).join(' | ')}`)
    try {
      const response = await fetch(`${httpUrl}/readyz`)
      if (response.status === 200) return gateway
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  await gateway.stop()
  throw new Error(`the gateway was not ready within ${READY_TIMEOUT_MS} ms: ${output.trim().split('\n').slice(-5).join(' | ')}`)
}

export interface ProcessStatus { rssMb: number, threads: number }

/** Resident memory and thread count of a process, from /proc/<pid>/status (Linux). */
export function processStatus (pid: number): ProcessStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  return parseProcStatus(text)
}

export function parseProcStatus (text: string): ProcessStatus {
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(text)?.[1])
  const threads = Number(/^Threads:\s+(\d+)/m.exec(text)?.[1])
  if (!Number.isFinite(rssKb) || !Number.isFinite(threads)) throw new Error('no VmRSS or Threads in /proc status')
  return { rssMb: rssKb / 1024, threads }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100

/**
 * CPU time (user + system, all threads: JavaScript, libuv pool, librdkafka) a process has used,
 * in ms. Unlike a rate, CPU per alert barely moves when other work competes for the cores.
 */
export function processCpuMs (pid: number): number {
  return parseProcStatCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

export function parseProcStatCpuMs (stat: string): number {
  // the command name (field 2) may hold spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc stat')
  return ((utime + stime) * 1000) / TICKS_PER_SECOND
}
