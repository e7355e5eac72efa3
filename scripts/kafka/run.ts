/** Runs a short-lived command (Maven, a Kafka tool) with a bounded time and captured output. */
import { spawn } from 'node:child_process'

export class CommandError extends Error {
  constructor (message: string, readonly output: string) {
    super(message)
    this.name = 'CommandError'
  }
}

const MAX_OUTPUT = 64 * 1024

export interface RunOptions {
  timeoutMs: number
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** Resolves with the output (stdout and stderr together) when the command exits 0. */
export function runCommand (command: string, args: readonly string[], opts: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => {
      // keep the tail: that is where errors are
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new CommandError(`${command} did not finish within ${opts.timeoutMs / 1000} s`, output))
    }, opts.timeoutMs)
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      const hint = err.code === 'ENOENT' ? ` (is ${command} installed and on PATH?)` : ''
      reject(new CommandError(`cannot run ${command}: ${err.message}${hint}`, output))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new CommandError(`${command} ${args[0] ?? ''} failed (${signal ?? `exit ${String(code)}`})`, output))
    })
  })
}
