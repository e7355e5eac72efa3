/**
 * The Python side of the bench (fink-client, and matplotlib for the plot) lives in a virtual
 * environment outside git, made and filled here on first use: BENCH_VENV, else
 * ~/.cache/fink-gateway/bench-venv. If fink-client cannot be installed, confluent-kafka + fastavro stand in
 * for it and the results say so.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface PythonEnvironment {
  python: string | null
  version: string | null
  /** 'fink-client X.Y.Z', or 'confluent-kafka + fastavro' when fink-client is unavailable. */
  consumer: 'fink-client' | 'confluent-kafka+fastavro' | null
  consumerVersion: string | null
  matplotlib: boolean
  notes: string[]
}

const FINK_CLIENT = 'fink-client==12.3.0'
const INSTALL_TIMEOUT_MS = 600_000

/** Outside the clone, so a fresh clone (CI's) on the same machine finds it already filled. */
export function venvDir (): string {
  if (process.env.BENCH_VENV !== undefined && process.env.BENCH_VENV !== '') return process.env.BENCH_VENV
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache')
  return join(cache, 'fink-gateway', 'bench-venv')
}

/** Debian's python3 has venv and ensurepip; pyenv's shim on PATH may not. */
function basePython (): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
}

async function probe (python: string, code: string): Promise<string | null> {
  try {
    const { stdout } = await run(python, ['-c', code], { timeout: 60_000 })
    return stdout.trim()
  } catch {
    return null
  }
}

async function pipInstall (python: string, packages: string[], notes: string[]): Promise<boolean> {
  try {
    await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], { timeout: INSTALL_TIMEOUT_MS })
    return true
  } catch (err) {
    const message = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-2).join(' ')
    notes.push(`pip install ${packages.join(' ')} failed: ${message}`)
    return false
  }
}

export async function pythonEnvironment (log: (line: string) => void): Promise<PythonEnvironment> {
  const notes: string[] = []
  const dir = venvDir()
  const python = join(dir, 'bin', 'python')
  const env: PythonEnvironment = { python: null, version: null, consumer: null, consumerVersion: null, matplotlib: false, notes }
  if (!existsSync(python)) {
    log(`python: creating the virtual environment ${dir}`)
    try {
      await run(basePython(), ['-m', 'venv', dir], { timeout: 120_000 })
    } catch (err) {
      notes.push(`could not create a virtual environment: ${(err as Error).message}`)
      return env
    }
  }
  env.python = python
  env.version = await probe(python, 'import platform; print(platform.python_version())')

  const finkVersion = async (): Promise<string | null> =>
    probe(python, 'from importlib.metadata import version; import fink_client.consumer; print(version("fink-client"))')
  let fink = await finkVersion()
  if (fink === null) {
    log(`python: installing ${FINK_CLIENT} and matplotlib (once)`)
    await pipInstall(python, [FINK_CLIENT, 'matplotlib'], notes)
    fink = await finkVersion()
  }
  if (fink !== null) {
    env.consumer = 'fink-client'
    env.consumerVersion = fink
  } else {
    const fallback = async (): Promise<string | null> =>
      probe(python, 'from importlib.metadata import version; import confluent_kafka, fastavro; print(version("confluent-kafka") + " + fastavro " + version("fastavro"))')
    let versions = await fallback()
    if (versions === null) {
      await pipInstall(python, ['confluent-kafka', 'fastavro'], notes)
      versions = await fallback()
    }
    if (versions !== null) {
      env.consumer = 'confluent-kafka+fastavro'
      env.consumerVersion = versions
      notes.push('fink-client unavailable: the Python baseline is confluent-kafka + fastavro with each schema parsed once')
    }
  }
  env.matplotlib = (await probe(python, 'import matplotlib; print(matplotlib.__version__)')) !== null
  if (!env.matplotlib) {
    await pipInstall(python, ['matplotlib'], notes)
    env.matplotlib = (await probe(python, 'import matplotlib; print(matplotlib.__version__)')) !== null
  }
  return env
}
