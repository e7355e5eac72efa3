/**
 * Where a V8 CPU profile (.cpuprofile from `node --cpu-prof`) spends its time: self time per
 * function and per area of the code (decoding, JSON, WebSocket, Kafka client, GC…), so a
 * before/after comparison can be read without opening DevTools.
 */
import { readFile } from 'node:fs/promises'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

export interface FunctionTime { function: string, location: string, area: string, self_ms: number, self_pct: number }
export interface AreaTime { area: string, self_ms: number, self_pct: number, busy_pct: number }

export interface ProfileSummary {
  total_ms: number
  /** Time not idle: what the process actually spent working. */
  busy_ms: number
  areas: AreaTime[]
  top: FunctionTime[]
}

/** Areas, first match wins; URL paths are matched with forward slashes. */
const AREAS: Array<[string, (f: CallFrame) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['native / not attributed (program)', (f) => f.functionName === '(program)'],
  ['avro: decoding', (f) => /\/src\/avro\/(body-reader|decoder|schema-cache|long-type|schema-prepare|decode-error)/.test(f.url)],
  ['avro: item JSON', (f) => /\/src\/avro\/item-json/.test(f.url)],
  ['avro: other', (f) => /\/src\/avro\//.test(f.url) || /node_modules\/avsc\//.test(f.url)],
  ['sessions (src/kafka)', (f) => /\/src\/kafka\//.test(f.url)],
  ['routes (src/routes)', (f) => /\/src\/routes\//.test(f.url)],
  ['other gateway code (src)', (f) => /\/src\//.test(f.url)],
  ['node-rdkafka (JS side)', (f) => /node_modules\/node-rdkafka\//.test(f.url)],
  ['ws (WebSocket framing)', (f) => /node_modules\/ws\//.test(f.url)],
  ['fastify and plugins', (f) => /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify)/.test(f.url)],
  ['pino (logging)', (f) => /node_modules\/(pino|sonic-boom|thread-stream)/.test(f.url)],
  ['other dependencies', (f) => /node_modules\//.test(f.url)],
  ['node internals (streams, net, buffers)', (f) => f.url.startsWith('node:')],
  ['built-ins (JSON, strings, Buffer…)', (f) => f.url === '']
]

export function areaOf (frame: CallFrame): string {
  for (const [area, matches] of AREAS) if (matches(frame)) return area
  return 'other'
}

function location (frame: CallFrame, root: string): string {
  if (frame.url === '') return '(built-in)'
  const url = frame.url.replace(/^file:\/\//, '').replace(root, '')
  return `${url}:${frame.lineNumber + 1}`
}

/**
 * Self time by function and by area. fromMs / toMs (relative to the profile's start) keep only
 * the samples of a window, e.g. the measured run without the process's start-up.
 */
export function summariseProfile (profile: CpuProfile, opts: { root?: string, top?: number, fromMs?: number, toMs?: number } = {}): ProfileSummary {
  const root = opts.root ?? ''
  const fromUs = (opts.fromMs ?? Number.NEGATIVE_INFINITY) * 1000
  const toUs = (opts.toMs ?? Number.POSITIVE_INFINITY) * 1000
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  let at = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    at += delta
    if (at < fromUs || at > toUs) continue
    const id = profile.samples[i] as number
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta)
  }
  const totalUs = [...selfUs.values()].reduce((s, v) => s + v, 0)
  const functions = new Map<string, { frame: CallFrame, us: number }>()
  const areas = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node === undefined) continue
    const frame = node.callFrame
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`
    const entry = functions.get(key) ?? { frame, us: 0 }
    entry.us += us
    functions.set(key, entry)
    const area = areaOf(frame)
    areas.set(area, (areas.get(area) ?? 0) + us)
  }
  const idleUs = areas.get('idle') ?? 0
  const busyUs = totalUs - idleUs
  const pct = (us: number, of: number): number => of > 0 ? Math.round((us / of) * 1000) / 10 : 0
  return {
    total_ms: Math.round(totalUs / 1000),
    busy_ms: Math.round(busyUs / 1000),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, self_ms: Math.round(us / 1000), self_pct: pct(us, totalUs), busy_pct: area === 'idle' ? 0 : pct(us, busyUs) })),
    top: [...functions.values()]
      .filter((f) => f.frame.functionName !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, opts.top ?? 25)
      .map((f) => ({
        function: f.frame.functionName === '' ? '(anonymous)' : f.frame.functionName,
        location: location(f.frame, root),
        area: areaOf(f.frame),
        self_ms: Math.round(f.us / 1000),
        self_pct: pct(f.us, busyUs)
      }))
  }
}

export async function readProfile (path: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(path, 'utf8')) as CpuProfile
}

/** The summary as Markdown tables, for bench/PROFILE.md. */
export function profileMarkdown (summary: ProfileSummary): string {
  const lines = [
    `Sampled ${summary.total_ms} ms, of which ${summary.busy_ms} ms busy (not idle).`,
    '',
    '| area | self ms | % of busy time |',
    '|---|---:|---:|',
    ...summary.areas.filter((a) => a.area !== 'idle').map((a) => `| ${a.area} | ${a.self_ms} | ${a.busy_pct} |`),
    '',
    '| function | where | area | self ms | % of busy |',
    '|---|---|---|---:|---:|',
    ...summary.top.map((f) => `| \`${f.function}\` | ${f.location} | ${f.area} | ${f.self_ms} | ${f.self_pct} |`)
  ]
  return lines.join('\n') + '\n'
}
