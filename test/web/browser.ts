/** Headless Debian Chromium for the dashboard tests: fresh profile, no background traffic. */
import { chromium, type BrowserContext } from 'playwright-core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

export async function launchBrowser (t: { after: (fn: () => Promise<void>) => void }, options: { httpCredentials?: { username: string, password: string } } = {}): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'fg-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 1000 },
    acceptDownloads: true,
    ...options
  })
  t.after(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}
