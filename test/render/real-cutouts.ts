/**
 * Real cutouts for the renderer's tests, read straight from the alert files the project ships
 * (data/alerts). The Avro container is read with avsc; schema defaults are dropped before
 * parsing because real Fink schemas have union defaults strict parsers reject, and defaults
 * play no part in decoding.
 */
import avsc from 'avsc'
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'

export const ALERTS_DIR = process.env.FINK_ALERTS_DIR ?? join(import.meta.dirname, '..', '..', 'data', 'alerts')

export interface RealCutout {
  file: string
  kind: 'Science' | 'Template' | 'Difference'
  stamp: Buffer
}

export function findAlertFile (name: string): string {
  if (!existsSync(ALERTS_DIR)) throw new Error(`no alert files at ${ALERTS_DIR}`)
  const hit = readdirSync(ALERTS_DIR, { recursive: true, encoding: 'utf8' }).find((f) => basename(f) === name)
  if (hit === undefined) throw new Error(`${name} is not under ${ALERTS_DIR}`)
  return join(ALERTS_DIR, hit)
}

// Longs as bigint: real candids exceed 2^53 and avsc refuses to round them.
const longType = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => { const buf = Buffer.alloc(8); buf.writeBigInt64LE(n); return buf },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1)
})

function withoutDefaults (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDefaults)
  if (schema === null || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) if (k !== 'default') out[k] = withoutDefaults(v)
  return out
}

export async function readAlerts (name: string): Promise<Array<Record<string, unknown>>> {
  const path = findAlertFile(name)
  const records: Array<Record<string, unknown>> = []
  await new Promise<void>((resolve, reject) => {
    avsc.createFileDecoder(path, { parseHook: (schema: unknown) => avsc.Type.forSchema(withoutDefaults(schema) as avsc.Schema, { registry: { long: longType } }) })
      .on('data', (r: Record<string, unknown>) => records.push(r))
      .on('end', () => resolve())
      .on('error', reject)
  })
  return records
}

function stampOf (value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value
  if (value !== null && typeof value === 'object' && 'stampData' in value && Buffer.isBuffer(value.stampData)) return value.stampData
  return undefined
}

/** The three cutouts of the first `limit` alerts of a file. */
export async function realCutouts (name: string, limit = 3): Promise<RealCutout[]> {
  const out: RealCutout[] = []
  for (const alert of (await readAlerts(name)).slice(0, limit)) {
    for (const kind of ['Science', 'Template', 'Difference'] as const) {
      const stamp = stampOf(alert[`cutout${kind}`])
      if (stamp !== undefined) out.push({ file: name, kind, stamp })
    }
  }
  return out
}
