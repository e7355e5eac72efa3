/**
 * The results as Markdown: the figures table of bench/README.md, written beside each results
 * file (latest.md, quick.md…) so the README's table is copied, never typed.
 */

interface SummaryLike { median: number, min: number, max: number }
interface ThroughputLike {
  what?: string
  rate?: SummaryLike | null
  gateway_cpu_us_per_alert?: SummaryLike | null
  client_cpu_us_per_alert?: SummaryLike | null
  client?: string | null
  error?: string
}
interface ResultsLike {
  date?: string
  mode?: string
  machine?: Record<string, unknown>
  data?: { topic_alerts?: number, partitions?: number, mean_value_kb?: number }
  cases?: Record<string, unknown>
  ratios?: Record<string, number | null>
  latency_ms?: { p50: number, p99: number } | null
  idle_session_rss_mb?: number | null
  targets?: Record<string, { target: string, value: number | null, met: boolean | null }>
}

const ROWS: Array<[string, string]> = [
  ['kcat', 'kcat (C, no decoding, no group)'],
  ['rdkafka_count', 'node-rdkafka, count only (gateway settings)'],
  ['rdkafka_count_defaults', 'node-rdkafka, count only (librdkafka defaults)'],
  ['python_client', 'Python client (decodes)'],
  ['ws', 'gateway WebSocket, 1 client'],
  ['ws_exclude_cutouts', 'gateway WebSocket, exclude=cutouts'],
  ['rest', 'gateway REST /consume, num_alerts=100'],
  ['rest_exclude_cutouts', 'gateway REST, exclude=cutouts']
]

const spread = (s: SummaryLike | null | undefined): string => s == null ? '–' : `${s.median} (${s.min}–${s.max})`
const value = (v: number | null | undefined): string => v == null ? '–' : String(v)

/** `body`: a results object as bench/run.ts writes it (read loosely: older files may lack fields). */
export function figuresMarkdown (body: object): string {
  const results = body as ResultsLike
  const cases = results.cases ?? {}
  const m = results.machine ?? {}
  const lines: string[] = []
  lines.push(`Run of ${(results.date ?? '').slice(0, 16).replace('T', ' ')} UTC (${results.mode ?? '?'}): ${results.data?.topic_alerts ?? '?'} real ZTF alerts in ${results.data?.partitions ?? '?'} partitions (mean value ${results.data?.mean_value_kb ?? '?'} KB); ` +
    `${String(m.cpus ?? '?')} CPUs (${String(m.cpu_model ?? '?')}), ${String(m.memory_gb ?? '?')} GB, Node ${String(m.node ?? '?')}, node-rdkafka ${String(m.node_rdkafka ?? '?')} (librdkafka ${String(m.librdkafka ?? '?')}), Kafka ${String(m.kafka ?? '?')}, kcat ${String(m.kcat ?? '?')}; load average at start ${JSON.stringify(m.load_average_at_start ?? [])}.`)
  lines.push('')
  lines.push('| case | alerts/s, median (min–max) | CPU µs per alert, median (min–max) |')
  lines.push('|---|---:|---:|')
  for (const [key, label] of ROWS) {
    const c = cases[key] as ThroughputLike | undefined
    if (c === undefined) continue
    const name = key === 'python_client' && c.client != null ? `${label.replace('Python client', c.client)}` : label
    const cpu = c.gateway_cpu_us_per_alert ?? c.client_cpu_us_per_alert
    const cpuText = cpu == null ? '–' : `${spread(cpu)}${c.gateway_cpu_us_per_alert != null ? ' (gateway)' : ' (client)'}`
    lines.push(`| ${name} | ${c.error !== undefined && c.rate == null ? `failed: ${c.error}` : spread(c.rate)} | ${cpuText} |`)
  }
  const fanout = cases.fanout as { points?: Array<{ clients: number, total: SummaryLike | null, per_client: SummaryLike | null }> } | undefined
  for (const p of fanout?.points ?? []) {
    lines.push(`| gateway WebSocket fan-out, ${p.clients} client${p.clients === 1 ? '' : 's'}: total (per client) | ${spread(p.total)} (${p.per_client?.median ?? '–'}) | |`)
  }
  lines.push('')
  const latency = cases.latency as { rate?: number, p50?: number | null, p90?: number | null, p99?: number | null, max?: number | null, error?: string } | undefined
  if (latency !== undefined) {
    lines.push(`Latency at ${latency.rate ?? '?'} alerts/s (Kafka timestamp to WebSocket receipt): p50 ${value(latency.p50)} ms, p90 ${value(latency.p90)} ms, p99 ${value(latency.p99)} ms, max ${value(latency.max)} ms${latency.error !== undefined ? ` (error: ${latency.error})` : ''}.`)
  }
  const sessions = cases.idle_sessions as { points?: Array<{ sessions: number, rss_mb: number, threads: number }>, per_session_rss_mb?: number | null, per_session_threads?: number | null } | undefined
  if (sessions !== undefined) {
    const points = (sessions.points ?? []).map((p) => `${p.sessions}: ${p.rss_mb} MB, ${p.threads} threads`).join('; ')
    lines.push(`Idle WebSocket sessions (gateway RSS, threads): ${points}; per session ${value(sessions.per_session_rss_mb)} MB and ${value(sessions.per_session_threads)} threads.`)
  }
  const decode = cases.decode as { result?: Record<string, unknown>, error?: string } | undefined
  if (decode?.result !== undefined) {
    const r = decode.result
    const pick = ['decodeUs', 'itemJsonUs', 'decodeItemJsonUs', 'jsonParseUs', 'avscDecodeUs', 'naiveStringifyUs'].filter((k) => typeof r[k] === 'number')
    lines.push(`Decoding (${String(r.file ?? '')}, µs per alert): ${pick.map((k) => `${k.replace(/Us$/, '')} ${String(r[k])}`).join(', ')}.`)
  } else if (decode?.error !== undefined) lines.push(`Decoding: ${decode.error}.`)
  lines.push('')
  lines.push('| target | value | met |')
  lines.push('|---|---:|---|')
  for (const [name, t] of Object.entries(results.targets ?? {})) {
    lines.push(`| ${name.replace(/_/g, ' ')} ${t.target} | ${value(t.value)} | ${t.met === null ? '–' : t.met ? 'yes' : 'no'} |`)
  }
  lines.push('')
  lines.push(`Ratios: ${Object.entries(results.ratios ?? {}).map(([k, v]) => `${k} ${value(v)}`).join(', ')}.`)
  return lines.join('\n') + '\n'
}
