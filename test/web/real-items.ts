/** Real alerts as the dashboard receives them: the gateway's item JSON with int64=string, parsed. */
import { join } from 'node:path'
import { AlertDecoder, itemJson, readAvroFile, SchemaCache } from '../../src/avro/index.js'

export const DATA = join(import.meta.dirname, '..', '..', 'data', 'alerts')

export interface RealItems {
  schemaText: string
  codec: string
  bodies: Buffer[]
  texts: string[]
  alerts: Array<Record<string, unknown>>
}

export async function itemsOf (path: string): Promise<RealItems> {
  const { schemaText, codec, records } = await readAvroFile(path)
  const decoder = new AlertDecoder(new SchemaCache({}))
  const texts: string[] = []
  for (const [offset, value] of records.entries()) {
    const decoded = await decoder.decode({ topic: 't', partition: 0, offset, timestamp: 0, key: Buffer.from(schemaText), value })
    texts.push(itemJson(decoded, { int64: 'string', exclude: new Set() }))
  }
  return { schemaText, codec, bodies: records, texts, alerts: texts.map((t) => (JSON.parse(t) as { alert: Record<string, unknown> }).alert) }
}

export async function alertsOf (file: string): Promise<Array<Record<string, unknown>>> {
  return (await itemsOf(join(DATA, file))).alerts
}
