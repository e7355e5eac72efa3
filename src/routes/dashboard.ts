import fastifyStatic from '@fastify/static'
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply } from 'fastify'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** tsx (`npm run demo`, the tests) rather than the compiled server (`npm start`, the container). */
export const RUNNING_FROM_SOURCES = import.meta.filename.endsWith('.ts')

/**
 * Run from the sources, the dashboard is built, or rebuilt when its sources changed, at
 * start-up, so a fresh clone needs no separate step; requests for the page wait for it. The
 * compiled server never builds (esbuild is a devDependency): `npm run build` did.
 */
async function buildWebInto (webRoot: string, log: FastifyBaseLogger): Promise<void> {
  try {
    const { ensureWebBuild } = await import('../../scripts/build-web.js')
    await ensureWebBuild(webRoot)
  } catch (err) {
    log.warn({ err }, 'could not build the dashboard; run npm run build')
  }
}

export interface DashboardOptions {
  /** The built dashboard (scripts/build-web.ts); found next to the sources or the compiled server by default. */
  webRoot?: string
  /** Build (or rebuild) it at start-up when missing or stale: by default only when run from the sources. */
  build?: boolean
}

/** dist/web, seen from src/routes (tsx) or from dist/src/routes (compiled). */
export function defaultWebRoot (): string {
  return RUNNING_FROM_SOURCES ? join(import.meta.dirname, '..', '..', 'dist', 'web') : join(import.meta.dirname, '..', '..', 'web')
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fink gateway: dashboard not built</title>
<style>body{background:#0b0f17;color:#dfe6f1;font:15px/1.5 system-ui,sans-serif;padding:40px}code{background:#172031;padding:2px 6px;border-radius:4px}</style></head>
<body><h1>The dashboard is not built</h1><p>The gateway is running, but its web files are missing. Run <code>npm run build</code>
(or <code>node --import tsx scripts/build-web.ts</code>) and reload. The REST and WebSocket API work without them: see <a href="/docs" style="color:#5ab0f0">/docs</a>.</p></body></html>`

/**
 * The dashboard: `/` (stream tab) and `/explore/{topic}/{partition}/{offset}` (one alert) both
 * serve the single-page app, which reads the path; `/assets/*` are its content-hashed files.
 * A missing build answers 503 with what to run, never a bare 404.
 */
const dashboard: FastifyPluginAsync<DashboardOptions> = async (fastify, opts) => {
  const webRoot = opts.webRoot ?? defaultWebRoot()
  const assets = join(webRoot, 'assets')
  const build = opts.build ?? (RUNNING_FROM_SOURCES && process.env.DASHBOARD_AUTOBUILD !== '0')
  const building = build ? buildWebInto(webRoot, fastify.log) : Promise.resolve()

  async function sendApp (reply: FastifyReply): Promise<FastifyReply> {
    await building
    let html: string
    try {
      html = await readFile(join(webRoot, 'index.html'), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      fastify.log.warn({ webRoot }, 'dashboard requested but not built')
      return await reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT)
    }
    // index.html names the hashed assets of the current build: always revalidate it.
    return await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html)
  }

  const hidden = { hide: true }
  fastify.get('/', { schema: hidden, config: { public: true } }, async (_request, reply) => await sendApp(reply))
  fastify.get('/explore/:topic/:partition/:offset', { schema: hidden, config: { public: true } }, async (_request, reply) => await sendApp(reply))

  await fastify.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    wildcard: true,
    // Names carry a content hash: a file never changes under its name.
    immutable: true,
    maxAge: '365d',
    schemaHide: true
  })
}

export default dashboard
