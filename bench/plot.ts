/** The results as a picture: bench/python/plot.py with the bench venv's matplotlib. */
import { join } from 'node:path'
import { BENCH_DIR, runChild } from './child.js'
import type { PythonEnvironment } from './python-env.js'

export async function plot (python: PythonEnvironment, resultsPath: string, imagePath: string): Promise<{ path?: string, error?: string }> {
  if (python.python === null || !python.matplotlib) return { error: 'matplotlib is not installed in the bench virtual environment' }
  try {
    await runChild(python.python, [join(BENCH_DIR, 'python', 'plot.py'), resultsPath, imagePath], { timeoutMs: 120_000 })
    return { path: imagePath }
  } catch (err) {
    return { error: (err as Error).message }
  }
}
