/**
 * Runs the bench's helper processes (clients, kcat, Python) and reads the one JSON line each
 * prints as its result. Every child has a time limit and is killed when it passes it, so a
 * stuck case fails alone instead of hanging the whole run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const BENCH_DIR = import.meta.dirname
export const ROOT_DIR = join(BENCH_DIR, '..')

export class ChildError extends Error {
  constructor (message: string, readonly stderr: string) {
    super(message)
    this.name = 'ChildError'
  }
}

export interface ChildOptions {
  timeoutMs: number
  env?: NodeJS.ProcessEnv
  /** Called with each complete stdout line as it arrives (e.g. a "ready" line). */
  onLine?: (line: string) => void
}

const STDERR_KEPT = 8192

/** Keeps the tail of a stream: enough to explain a failure, bounded whatever the child prints. */
function tailKeeper (): { push: (chunk: Buffer) => void, text: () => string } {
  let kept = ''
  return {
    push: (chunk) => { kept = (kept + chunk.toString('utf8')).slice(-STDERR_KEPT) },
    text: () => kept
  }
}

export interface RunningChild {
  child: ChildProcess
  /** Resolves with the last JSON line printed on stdout once the child exits with 0. */
  result: Promise<unknown>
}

export function startChild (command: string, args: readonly string[], opts: ChildOptions): RunningChild {
  const child = spawn(command, args, { cwd: ROOT_DIR, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
  const stderr = tailKeeper()
  let lastJson: unknown
  let partial = ''
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8')
    let newline = partial.indexOf('\n')
    while (newline >= 0) {
      const line = partial.slice(0, newline).trim()
      partial = partial.slice(newline + 1)
      if (line.startsWith('{')) {
        try { lastJson = JSON.parse(line) } catch { /* not a result line */ }
      }
      if (line.length > 0) opts.onLine?.(line)
      newline = partial.indexOf('\n')
    }
    if (partial.length > 1_000_000) partial = partial.slice(-1000)
  })
  child.stderr.on('data', stderr.push)
  const result = new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new ChildError(`${command} ${args.join(' ')} took longer than ${opts.timeoutMs} ms`, stderr.text()))
    }, opts.timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new ChildError(`${command} could not start: ${err.message}`, ''))
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0 && lastJson !== undefined) resolve(lastJson)
      else if (code === 0) reject(new ChildError(`${command} printed no JSON result`, stderr.text()))
      else reject(new ChildError(`${command} exited with ${code ?? signal}: ${stderr.text().trim().split('\n').slice(-5).join(' | ')}`, stderr.text()))
    })
  })
  return { child, result }
}

export function runChild (command: string, args: readonly string[], opts: ChildOptions): Promise<unknown> {
  return startChild(command, args, opts).result
}

/** A TypeScript client under bench/clients, run by Node with tsx, its options as one JSON argument. */
export function nodeClientArgs (client: string, options: unknown): string[] {
  return ['--import', 'tsx', join(BENCH_DIR, 'clients', client), JSON.stringify(options)]
}

/** Ends a child by its pid: SIGTERM, then SIGKILL if it is still there after graceMs. */
export async function stopChild (child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
