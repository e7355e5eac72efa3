/**
 * The dashboard with AUTH_MODE=kafka, in headless Chromium: the user signs in with the page's
 * form (no browser Basic prompt) with their Kafka credentials; REST calls and cutout images carry them, the stream a
 * single-use ticket. Needs the local SASL listener (npm test starts it).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readAvroFile } from '../../src/avro/index.js'
import { buildApp, uniqueName } from '../helpers/app.js'
import { createTopic, deleteTopic, hasSaslListener, produce, saslBrokers } from '../helpers/kafka.js'
import { launchBrowser } from './browser.js'
import { DATA } from './real-items.js'
import { webBuild } from './web-build.js'

test('signed in as a Kafka user, the dashboard lists, streams and explores with that user\'s rights', { timeout: 120000 }, async (t) => {
  if (!hasSaslListener()) {
    t.skip('KAFKA_SASL_BROKERS is not set: this run has no local SASL listener')
    return
  }
  await webBuild()
  // alice may read ftest_ topics with groups named alice.…
  const topic = uniqueName('ftest_dashboard_auth')
  const hidden = uniqueName('fink_dashboard_hidden')
  for (const name of [topic, hidden]) {
    await createTopic(name)
    t.after(async () => { await deleteTopic(name) })
  }
  const files = ['ZTF19acihgng.avro', 'ZTF19acxxwrs.avro', 'ZTF19acyfkzd.avro']
  const messages = await Promise.all(files.map(async (f) => {
    const { schemaText, records } = await readAvroFile(join(DATA, f))
    return { key: schemaText, value: records[0] ?? null }
  }))
  await produce(topic, messages)

  const app = await buildApp(t, { KAFKA_BROKERS: saslBrokers(), KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', AUTH_MODE: 'kafka' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address !== null && typeof address === 'object')
  // The dashboard's calls send X-Requested-With, so their 401s carry no Basic challenge (no
  // browser prompt): alice signs in with the page's own form.
  const context = await launchBrowser(t)
  const page = await context.newPage()
  const tickets: string[] = []
  page.on('websocket', (ws) => { tickets.push(new URL(ws.url()).searchParams.get('ticket') ?? '') })
  const challenges: Array<string | undefined> = []
  page.on('response', (response) => { if (response.status() === 401) challenges.push(response.headers()['www-authenticate']) })

  await page.goto(`http://127.0.0.1:${address.port}/`)
  await page.click('.account button')
  await page.fill('.sign-in input[type=text]', 'alice')
  await page.fill('.sign-in input[type=password]', 'alice-secret')
  await Promise.all([page.waitForEvent('load'), page.click('.sign-in button[type=submit]')])
  assert.ok(challenges.length > 0, 'signed out, the dashboard\'s calls got 401s')
  assert.deepEqual(challenges.filter((c) => c !== undefined), [], 'with no Basic challenge')
  await page.check(`input[data-topic="${topic}"]`, { timeout: 30000 })
  // Kafka's ACLs decide what alice is offered.
  assert.equal(await page.locator(`input[data-topic="${hidden}"]`).count(), 0)
  await page.fill('[data-testid=group-id]', `alice.${uniqueName('dashboard')}`)
  await page.selectOption('[data-testid=start]', 'earliest')
  await page.click('[data-testid=start-stream]')
  await page.waitForFunction(`document.querySelector('[data-testid=topic-count][data-topic=${JSON.stringify(topic)}]')?.textContent === '${files.length}'`, undefined, { timeout: 30000 })
  // The stream was opened with a ticket, the credentials never in its URL.
  assert.equal(tickets.length, 1)
  assert.match(tickets[0] ?? '', /^[\w-]{20,}$/)

  await page.click(`a[href="/explore/${topic}/0/0"]`)
  await page.waitForSelector('[data-testid=explorer]')
  await page.waitForFunction('document.querySelector(\'img[data-testid="cutout-science"]\').dataset.state !== \'loading\'', undefined, { timeout: 20000 })
  const state = await page.getAttribute('img[data-testid="cutout-science"]', 'data-state')
  // Loaded, or else the gateway's reason on the page: never a blank frame.
  // the permalink reader uses alice's own look-up group (alice.fink-gateway-permalink)
  assert.equal(state, 'loaded', await page.textContent('.cutout-row') ?? '')
})
