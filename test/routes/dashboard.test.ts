import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import dashboard from '../../src/routes/dashboard.js'
import { buildApp } from '../helpers/app.js'
import { webBuild } from '../web/web-build.js'

test('/ and /explore/… serve the app page; its hashed assets are served immutable', async (t) => {
  await webBuild()
  const app = await buildApp(t)
  const home = await app.inject({ url: '/' })
  assert.equal(home.statusCode, 200)
  assert.match(String(home.headers['content-type']), /^text\/html/)
  assert.equal(home.headers['cache-control'], 'no-cache')
  const script = /<script type="module" src="(\/assets\/main-[\w-]+\.js)"><\/script>/.exec(home.body)?.[1]
  const style = /<link rel="stylesheet" href="(\/assets\/main-[\w-]+\.css)">/.exec(home.body)?.[1]
  assert.ok(script !== undefined && style !== undefined, home.body)

  const explore = await app.inject({ url: '/explore/ftest_some_topic/0/12345' })
  assert.equal(explore.statusCode, 200)
  assert.equal(explore.body, home.body)

  const js = await app.inject({ url: script })
  assert.equal(js.statusCode, 200)
  assert.match(String(js.headers['content-type']), /javascript/)
  assert.match(String(js.headers['cache-control']), /immutable/)
  assert.ok(js.body.length > 1000)
  const css = await app.inject({ url: style })
  assert.equal(css.statusCode, 200)
  assert.match(String(css.headers['content-type']), /^text\/css/)

  assert.equal((await app.inject({ url: '/assets/no-such-file.js' })).statusCode, 404)
  assert.equal((await app.inject({ url: '/explore/topic/not-a-number' })).statusCode, 404)
})

test('Aladin Lite is bundled, not fetched from a CDN: the page names no outside script', async (t) => {
  await webBuild()
  const app = await buildApp(t)
  const home = await app.inject({ url: '/' })
  assert.doesNotMatch(home.body, /(src|href)="https?:/)
  const script = /src="(\/assets\/main-[\w-]+\.js)"/.exec(home.body)?.[1] ?? ''
  const main = await app.inject({ url: script })
  // The explorer imports Aladin as a split chunk served from /assets.
  const chunk = /"\.\/(chunk-[\w-]+\.js)"/.exec(main.body)?.[1]
  assert.ok(chunk !== undefined)
  const aladin = await app.inject({ url: `/assets/${chunk}` })
  assert.equal(aladin.statusCode, 200)
  assert.match(aladin.body, /data:application\/wasm;base64,/)
})

test('a missing web build answers 503 with what to run, for both app paths', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'fg-web-'))
  t.after(() => { rmSync(empty, { recursive: true, force: true }) })
  const app = Fastify({ logger: false })
  await app.register(dashboard, { webRoot: empty, build: false })
  t.after(() => app.close())
  for (const url of ['/', '/explore/t/0/1']) {
    const res = await app.inject({ url })
    assert.equal(res.statusCode, 503)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    assert.match(res.body, /npm run build/)
  }
})

test('run from the sources (npm run demo, a fresh clone), a missing build is made at start-up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-web-'))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  const webRoot = join(dir, 'web')
  const app = Fastify({ logger: false })
  await app.register(dashboard, { webRoot, build: true })
  t.after(() => app.close())
  const home = await app.inject({ url: '/' })
  assert.equal(home.statusCode, 200)
  const script = /src="(\/assets\/main-[\w-]+\.js)"/.exec(home.body)?.[1]
  assert.ok(script !== undefined)
  assert.equal((await app.inject({ url: script })).statusCode, 200)
})
