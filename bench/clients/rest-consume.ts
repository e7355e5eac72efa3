/**
 * A REST client of the gateway: GET /consume in a loop, one group, until it has read the
 * topic. It parses each response as any client would; it runs in its own process.
 */
import { clientOptions, nowMs, report, type DrainFigures } from './common.js'

interface Options {
  /** http://127.0.0.1:PORT/consume?topics=…&num_alerts=100&timeout=…, without group_id. */
  url: string
  group: string
  alerts: number
  timeoutMs: number
}

const opts = clientOptions<Options>()
const url = `${opts.url}&group_id=${encodeURIComponent(opts.group)}`
const figures: DrainFigures & { requests: number, emptyResponses: number } = {
  alerts: 0, firstBatch: 0, startMs: nowMs(), firstMs: 0, lastMs: 0, bytes: 0, errors: 0, requests: 0, emptyResponses: 0
}
const deadline = Date.now() + opts.timeoutMs
let error: string | null = null

while (figures.alerts < opts.alerts && Date.now() < deadline) {
  const response = await fetch(url)
  figures.requests++
  const text = await response.text()
  if (response.status !== 200) {
    error = `HTTP ${response.status}: ${text.slice(0, 300)}`
    break
  }
  const body = JSON.parse(text) as { alerts: Array<{ error?: unknown }> }
  const n = body.alerts.length
  if (n === 0) {
    figures.emptyResponses++
    continue
  }
  const at = nowMs()
  if (figures.alerts === 0) {
    figures.firstMs = at
    figures.firstBatch = n
  }
  figures.alerts += n
  figures.bytes = (figures.bytes ?? 0) + text.length
  figures.errors = (figures.errors ?? 0) + body.alerts.filter((a) => a.error !== undefined && a.error !== null).length
  figures.lastMs = at
}

report({ ...figures, error })
