import type { Item } from './api.js'
import { getJson } from './api.js'
import { encodeContainer } from './avro-writer.js'

/**
 * What the stream tab collected, for download: the newest `maxItems` items, also bounded by an
 * estimate of their size so a long session cannot exhaust the browser's memory.
 */
export class Collected {
  private items: Array<{ item: Item, bytes: number }> = []
  private bytes = 0
  private readonly byKey = new Map<string, Item>()

  constructor (private readonly maxItems = 1000, private readonly maxBytes = 150 * 1024 * 1024) {}

  add (item: Item, textLength: number): void {
    this.items.push({ item, bytes: textLength })
    this.bytes += textLength
    this.byKey.set(key(item.topic, item.partition, item.offset), item)
    while (this.items.length > this.maxItems || (this.bytes > this.maxBytes && this.items.length > 1)) {
      const old = this.items.shift()
      if (old === undefined) break
      this.bytes -= old.bytes
      this.byKey.delete(key(old.item.topic, old.item.partition, old.item.offset))
    }
  }

  get size (): number {
    return this.items.length
  }

  clear (): void {
    this.items = []
    this.bytes = 0
    this.byKey.clear()
  }

  find (topic: string, partition: number | string, offset: number | string): Item | undefined {
    return this.byKey.get(key(topic, partition, offset))
  }

  jsonLines (): Blob {
    return new Blob(this.items.map(({ item }) => JSON.stringify(item) + '\n'), { type: 'application/x-ndjson' })
  }

  /** One Avro container file per writer schema (a container holds a single schema). */
  async avroFiles (): Promise<Array<{ name: string, blob: Blob }>> {
    const bySchema = new Map<string, unknown[]>()
    for (const { item } of this.items) {
      if (item.alert === null || item.schema === null) continue
      const list = bySchema.get(item.schema) ?? []
      list.push(item.alert)
      bySchema.set(item.schema, list)
    }
    const files: Array<{ name: string, blob: Blob }> = []
    for (const [schemaId, alerts] of bySchema) {
      const schemaText = await schemaTextOf(schemaId)
      const bytes = encodeContainer(schemaText, alerts)
      files.push({ name: `fink-alerts-${schemaId.slice(0, 12)}.avro`, blob: new Blob([bytes], { type: 'application/avro' }) })
    }
    return files
  }
}

function key (topic: string, partition: number | string, offset: number | string): string {
  return `${topic}/${partition}/${offset}`
}

/** GET /schemas/{id} may answer with the schema itself or wrap it: accept both. */
async function schemaTextOf (id: string): Promise<string> {
  const body = await getJson<unknown>(`/schemas/${encodeURIComponent(id)}`)
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'schema' in body) {
    const inner = (body as { schema: unknown }).schema
    return typeof inner === 'string' ? inner : JSON.stringify(inner)
  }
  return JSON.stringify(body)
}

export function saveBlob (name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => { URL.revokeObjectURL(url) }, 60000)
}
