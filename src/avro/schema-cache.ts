import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type avsc from 'avsc'
import { compileReader, DEFAULT_READ_LIMITS, type BodyReader, type ReadLimits } from './body-reader.js'
import { DecodeCode, DecodeError } from './decode-error.js'
import { parseSchema } from './schema-prepare.js'

/** One parsed writer schema. `id` is its fingerprint, the `schema` of items. */
export interface CachedSchema {
  id: string
  /** The schema's JSON text as first seen (what GET /schemas/{id} serves). */
  text: string
  type: avsc.Type
  /** Compiled, bounds-checked body reader. */
  reader: BodyReader
  /** Compiled JSON writers by options (item-json.ts fills it). */
  writers: Map<string, (value: unknown) => string>
}

export interface SchemaCacheOptions {
  /** Folder of Fink `.avsc` files (with an `old/` sub-folder); default: the project's schemas/. */
  schemasDir?: string
  /** The `.avsc` used when a message's key names no schema. */
  defaultSchemaPath?: string
  /** Confluent Schema Registry base URL. */
  registryUrl?: string
  registryTimeoutMs?: number
  /** Most distinct schemas kept (oldest dropped first). */
  maxSchemas?: number
  limits?: ReadLimits
}

const VERSION_FILE = /^distribution_schema_fink_ztf_(.+)\.avsc$/
/** A Fink version key: `2.7_3.10.1` (Fink's version, then fink-science's); nothing else. */
const VERSION_KEY = /^[0-9]{1,4}(\.[0-9]{1,4}){0,3}_[0-9]{1,4}(\.[0-9]{1,4}){0,3}(_replayed)?$/
const MAX_KEY_MEMO = 64
const REGISTRY_FAILURE_TTL_MS = 10_000

/** The project's schemas/ folder, from src/avro or dist/src/avro. */
function projectSchemasDir (): string {
  const here = import.meta.dirname
  const candidates = [resolve(here, '../../schemas'), resolve(here, '../../../schemas')]
  return candidates.find((d) => existsSync(d)) ?? candidates[0] as string
}

export function isVersionKey (text: string): boolean {
  return VERSION_KEY.test(text)
}

/**
 * Writer schemas by fingerprint, each parsed and compiled once. Finds schemas the three Fink
 * ways (schema text in the key, a version string naming a shipped file, a default) and by
 * Confluent registry id. Bounded: at most `maxSchemas` schemas and a small memo of key bytes.
 */
export class SchemaCache {
  readonly schemasDir: string
  readonly registryUrl: string | undefined
  readonly defaultSchema: CachedSchema | undefined
  private readonly registryTimeoutMs: number
  private readonly maxSchemas: number
  private readonly limits: ReadLimits
  private readonly schemas = new Map<string, CachedSchema>()
  /** Raw key bytes → schema, by key length, so a repeated 28 KB key costs one memcmp. */
  private readonly keyMemo = new Map<number, Array<{ bytes: Buffer, schema: CachedSchema }>>()
  private keyMemoSize = 0
  private readonly versions = new Map<string, CachedSchema | null>()
  private readonly registry = new Map<number, CachedSchema | Promise<CachedSchema>>()
  private versionIndex: Map<string, string> | undefined

  constructor (opts: SchemaCacheOptions = {}) {
    this.schemasDir = opts.schemasDir ?? projectSchemasDir()
    this.registryUrl = opts.registryUrl?.replace(/\/+$/, '')
    this.registryTimeoutMs = opts.registryTimeoutMs ?? 5000
    this.maxSchemas = opts.maxSchemas ?? 256
    this.limits = opts.limits ?? DEFAULT_READ_LIMITS
    if (opts.defaultSchemaPath !== undefined) {
      this.defaultSchema = this.fromFile(opts.defaultSchemaPath)
    }
  }

  byId (id: string): CachedSchema | undefined {
    return this.schemas.get(id)
  }

  /** Parses (or finds) the schema of this JSON text. Throws DecodeError BAD_SCHEMA. */
  fromText (text: string): CachedSchema {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new DecodeError(DecodeCode.BAD_SCHEMA, `schema is not JSON: ${(err as Error).message}`, { cause: err })
    }
    let type: avsc.Type
    try {
      type = parseSchema(json)
    } catch (err) {
      throw new DecodeError(DecodeCode.BAD_SCHEMA, `invalid Avro schema: ${(err as Error).message}`, { cause: err })
    }
    const id = fingerprint(type)
    const known = this.schemas.get(id)
    if (known !== undefined) return known
    const schema: CachedSchema = { id, text, type, reader: compileReader(type, this.limits), writers: new Map() }
    if (this.schemas.size >= this.maxSchemas) {
      const oldest = this.schemas.keys().next().value
      if (oldest !== undefined) this.schemas.delete(oldest)
    }
    this.schemas.set(id, schema)
    return schema
  }

  /** A message key holding the schema's JSON text. */
  fromKeyBytes (key: Buffer): CachedSchema {
    const sameLength = this.keyMemo.get(key.length)
    if (sameLength !== undefined) {
      for (const entry of sameLength) if (entry.bytes.equals(key)) return entry.schema
    }
    const schema = this.fromText(key.toString('utf8'))
    if (this.keyMemoSize >= MAX_KEY_MEMO) {
      this.keyMemo.clear()
      this.keyMemoSize = 0
    }
    const entries = this.keyMemo.get(key.length) ?? []
    entries.push({ bytes: Buffer.from(key), schema })
    this.keyMemo.set(key.length, entries)
    this.keyMemoSize++
    return schema
  }

  fromFile (path: string): CachedSchema {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new DecodeError(DecodeCode.UNKNOWN_SCHEMA, `cannot read schema file ${path}: ${(err as Error).message}`, { cause: err })
    }
    try {
      return this.fromText(text)
    } catch (err) {
      throw new DecodeError(DecodeCode.BAD_SCHEMA, `${path}: ${(err as Error).message}`, { cause: err })
    }
  }

  /**
   * The shipped schema of a Fink version string (`2.7_3.10.1`): schemasDir or its old/ folder,
   * then the `_replayed` variant. Undefined when there is none (remembered, bounded).
   */
  byVersion (version: string): CachedSchema | undefined {
    const known = this.versions.get(version)
    if (known !== undefined) return known ?? undefined
    if (!isVersionKey(version)) return undefined
    let found: CachedSchema | null = null
    for (const name of [version, `${version}_replayed`]) {
      for (const dir of [this.schemasDir, join(this.schemasDir, 'old')]) {
        const path = join(dir, `distribution_schema_fink_ztf_${name}.avsc`)
        if (found === null && existsSync(path)) found = this.fromFile(path)
      }
    }
    if (this.versions.size >= 1024) this.versions.clear()
    this.versions.set(version, found)
    return found ?? undefined
  }

  /**
   * The Fink version string whose shipped schema has this schema's fingerprint (what a
   * producer puts in the key), or undefined. Current files win over old/ ones.
   */
  versionOf (schema: CachedSchema): string | undefined {
    if (this.versionIndex === undefined) {
      const index = new Map<string, string>()
      for (const dir of [join(this.schemasDir, 'old'), this.schemasDir]) {
        if (!existsSync(dir)) continue
        for (const file of readdirSync(dir).sort()) {
          const match = VERSION_FILE.exec(file)
          if (match === null) continue
          const s = this.fromFile(join(dir, file))
          let version = match[1] as string
          // A `_replayed` file is found from its plain version key when no plain file exists.
          const plain = version.replace(/_replayed$/, '')
          if (plain !== version && !this.hasVersionFile(plain)) version = plain
          // Prefer the plain name: the decoder tries it before the `_replayed` variant.
          const previous = index.get(s.id)
          if (previous === undefined || previous.endsWith('_replayed') || dir === this.schemasDir) index.set(s.id, version)
        }
      }
      this.versionIndex = index
    }
    return this.versionIndex.get(schema.id)
  }

  private hasVersionFile (version: string): boolean {
    const name = `distribution_schema_fink_ztf_${version}.avsc`
    return existsSync(join(this.schemasDir, name)) || existsSync(join(this.schemasDir, 'old', name))
  }

  /** A schema by Confluent Schema Registry id: fetched once, then cached. */
  fromRegistry (id: number): CachedSchema | Promise<CachedSchema> {
    const known = this.registry.get(id)
    if (known !== undefined) return known
    const url = this.registryUrl
    if (url === undefined) {
      throw new DecodeError(DecodeCode.UNKNOWN_SCHEMA, `value is Confluent-framed (schema id ${id}) but no schema registry is configured (SCHEMA_REGISTRY_URL)`)
    }
    const pending = this.fetchRegistrySchema(url, id).then((schema) => {
      this.registry.set(id, schema)
      return schema
    }, (err: unknown) => {
      // Remember the failure briefly so a stream of such messages does not hammer the registry.
      setTimeout(() => { if (this.registry.get(id) === pending) this.registry.delete(id) }, REGISTRY_FAILURE_TTL_MS).unref()
      throw err
    })
    pending.catch(() => {})
    if (this.registry.size >= this.maxSchemas) this.registry.clear()
    this.registry.set(id, pending)
    return pending
  }

  private async fetchRegistrySchema (url: string, id: number): Promise<CachedSchema> {
    const where = `${url}/schemas/ids/${id}`
    let response: Response
    try {
      response = await fetch(where, { signal: AbortSignal.timeout(this.registryTimeoutMs), headers: { accept: 'application/json' } })
    } catch (err) {
      throw new DecodeError(DecodeCode.REGISTRY, `schema registry ${where} unreachable: ${(err as Error).message}`, { cause: err })
    }
    if (response.status === 404) {
      await response.body?.cancel()
      throw new DecodeError(DecodeCode.UNKNOWN_SCHEMA, `schema registry has no schema id ${id}`)
    }
    if (!response.ok) {
      await response.body?.cancel()
      throw new DecodeError(DecodeCode.REGISTRY, `schema registry ${where} answered ${response.status}`)
    }
    let body: { schema?: unknown, schemaType?: unknown }
    try {
      body = await response.json() as typeof body
    } catch (err) {
      throw new DecodeError(DecodeCode.REGISTRY, `schema registry ${where} answered invalid JSON`, { cause: err })
    }
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
      throw new DecodeError(DecodeCode.BAD_SCHEMA, `schema id ${id} is a ${String(body.schemaType)} schema, not Avro`)
    }
    if (typeof body.schema !== 'string') throw new DecodeError(DecodeCode.REGISTRY, `schema registry ${where} answered without a schema`)
    return this.fromText(body.schema)
  }
}

/** SHA-256 (hex) of the schema's canonical form: equal for texts that differ in layout, docs or defaults. */
export function fingerprint (type: avsc.Type): string {
  return createHash('sha256').update(JSON.stringify(type.schema())).digest('hex')
}
