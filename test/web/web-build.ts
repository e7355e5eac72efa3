/** Test helper: the dashboard's build (dist/web), made once per source change across test files. */
import { ensureWebBuild, WEB_DIST } from '../../scripts/build-web.js'

export { WEB_DIST }

export async function webBuild (): Promise<string> {
  await ensureWebBuild()
  return WEB_DIST
}
