/**
 * Builds the dashboard (src/web) into dist/web with esbuild: content-hashed JS/CSS under
 * dist/web/assets/, Aladin Lite (WASM inlined in its module) split into a chunk loaded only by
 * the explorer, and dist/web/index.html pointing at them. `npm run build` runs it; the tests
 * call ensureWebBuild() so a fresh clone needs no separate step. Takes about a second.
 */
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, renameSync } from 'node:fs'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const root = join(import.meta.dirname, '..')
export const WEB_SOURCES = join(root, 'src', 'web')
export const WEB_DIST = join(root, 'dist', 'web')
const BUILD_INFO = 'build-info.json'

/** A hash of every dashboard source file and of this script: what a build was made from. */
export function sourceHash (): string {
  const hash = createHash('sha256')
  const files = readdirSync(WEB_SOURCES, { recursive: true, encoding: 'utf8' }).sort()
  for (const file of files) {
    const full = join(WEB_SOURCES, file)
    if (!statSync(full).isFile()) continue
    hash.update(file).update(readFileSync(full))
  }
  hash.update(readFileSync(import.meta.filename))
  return hash.digest('hex').slice(0, 16)
}

export async function buildWeb (outdir: string = WEB_DIST): Promise<{ outdir: string, ms: number }> {
  const started = performance.now()
  const staging = `${outdir}.staging-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  const result = await build({
    entryPoints: [join(WEB_SOURCES, 'main.ts')],
    outdir: join(staging, 'assets'),
    bundle: true,
    format: 'esm',
    splitting: true,
    minify: true,
    sourcemap: 'linked',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    tsconfig: join(WEB_SOURCES, 'tsconfig.json')
  })
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined && o.entryPoint.endsWith('main.ts'))
  if (entry === undefined) throw new Error('esbuild produced no entry bundle')
  const [jsPath, output] = entry
  const assetUrl = (path: string): string => `/${relative(staging, join(root, path)).split('\\').join('/')}`
  const styles = output.cssBundle !== undefined ? `<link rel="stylesheet" href="${assetUrl(output.cssBundle)}">` : ''
  const html = readFileSync(join(WEB_SOURCES, 'index.html'), 'utf8')
    .replace('<!--styles-->', styles)
    .replace('<!--scripts-->', `<script type="module" src="${assetUrl(jsPath)}"></script>`)
  writeFileSync(join(staging, 'index.html'), html)
  writeFileSync(join(staging, BUILD_INFO), JSON.stringify({ sourceHash: sourceHash(), builtAt: new Date().toISOString() }) + '\n')
  // Swap the finished build in whole: a server reading dist/web never sees half of one.
  rmSync(outdir, { recursive: true, force: true })
  mkdirSync(join(outdir, '..'), { recursive: true })
  renameSync(staging, outdir)
  return { outdir, ms: Math.round(performance.now() - started) }
}

export function isBuildCurrent (outdir: string = WEB_DIST): boolean {
  try {
    const info = JSON.parse(readFileSync(join(outdir, BUILD_INFO), 'utf8')) as { sourceHash?: string }
    return info.sourceHash === sourceHash() && existsSync(join(outdir, 'index.html'))
  } catch {
    return false
  }
}

/**
 * Builds dist/web unless it is current. Test files run in parallel processes: a lock directory
 * (mkdir is atomic) makes one of them build while the others wait for it.
 */
export async function ensureWebBuild (outdir: string = WEB_DIST): Promise<void> {
  if (isBuildCurrent(outdir)) return
  const lock = `${outdir}.lock`
  mkdirSync(join(outdir, '..'), { recursive: true })
  const deadline = Date.now() + 120000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A lock older than two minutes was left by a killed process.
      try { if (Date.now() - statSync(lock).mtimeMs > 120000) rmSync(lock, { recursive: true, force: true }) } catch { /* gone */ }
      if (Date.now() > deadline) throw new Error(`waited too long for ${lock}`)
      await sleep(200)
    }
  }
  try {
    if (!isBuildCurrent(outdir)) await buildWeb(outdir)
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const { outdir, ms } = await buildWeb()
  console.log(`dashboard built into ${relative(root, outdir)} in ${ms} ms`)
}
