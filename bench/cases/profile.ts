/**
 * `npm run bench -- --profile`: the gateway under `node --cpu-prof` while one WebSocket client
 * reads the topic with cutouts (the WS case), then a summary of where the time went during
 * that run only (start-up left out). The gateway runs from a tsc build (dist/) so that the
 * profile's line numbers are those of the sources; if the build fails, from tsx.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT_DIR } from '../child.js'
import type { BenchContext } from '../context.js'
import { startGateway } from '../gateway.js'
import { profileMarkdown, readProfile, summariseProfile } from '../profile-summary.js'
import { wsCase } from './gateway.js'

const run = promisify(execFile)

async function buildServer (ctx: BenchContext): Promise<boolean> {
  if (process.env.BENCH_GATEWAY_ENTRY !== undefined) return false
  try {
    await run(process.execPath, [join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT_DIR, timeout: 180_000 })
    return true
  } catch (err) {
    ctx.log(`tsc build failed, profiling the tsx-run sources instead: ${((err as { stdout?: string }).stdout ?? '').split('\n').slice(0, 3).join(' | ')}`)
    return false
  }
}

export async function profileGateway (ctx: BenchContext, baseDir: string): Promise<void> {
  const dir = join(baseDir, new Date().toISOString().replace(/[:.]/g, '-'))
  await mkdir(dir, { recursive: true })
  const built = await buildServer(ctx)
  if (built) process.env.BENCH_GATEWAY = 'dist'
  const spawnedMs = Date.now()
  const gateway = await startGateway({ brokers: ctx.brokers, cpuProfileDir: dir })
  ctx.log(`profiling gateway pid ${gateway.pid} (${built ? 'dist build' : 'tsx'}) into ${dir}`)
  let result
  let windowMs: [number, number]
  try {
    const from = Date.now()
    result = await wsCase(gateway, { ...ctx, plan: { ...ctx.plan, runs: 1 } }, false)
    windowMs = [from - spawnedMs, Date.now() - spawnedMs]
  } finally {
    await gateway.stop()
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: did the gateway exit cleanly on SIGTERM? ${gateway.output().slice(-500)}`)
  const profile = await readProfile(join(dir, files[0] as string))
  const summary = summariseProfile(profile, { root: ROOT_DIR, fromMs: windowMs[0], toMs: windowMs[1] })
  const markdown = `WebSocket case under --cpu-prof (${built ? 'dist build' : 'tsx'}): ${result.rate?.median ?? '?'} alerts/s (profiling slows it)${result.error !== undefined ? `; error: ${result.error}` : ''}; samples from ${windowMs[0]} ms to ${windowMs[1]} ms after the gateway's start\n\n${profileMarkdown(summary)}`
  await writeFile(join(dir, 'summary.json'), JSON.stringify({ ws: result, window_ms: windowMs, profile: summary }, null, 2) + '\n')
  await writeFile(join(dir, 'summary.md'), markdown)
  ctx.log(`profile summary: ${join(dir, 'summary.md')}\n${markdown}`)
}
