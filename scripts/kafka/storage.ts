/** Writes .kafka/server.properties and formats the KRaft storage (with the SCRAM users) once. */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runKafkaTool } from './jars.js'
import { paths } from './paths.js'

/** The contract's local users on the SASL listener: password `<name>-secret`. */
export const LOCAL_USERS = ['admin', 'alice', 'bob'] as const

export async function writeServerProperties (): Promise<void> {
  const template = await readFile(paths.serverTemplate, 'utf8')
  await mkdir(paths.logs, { recursive: true })
  await writeFile(paths.serverProperties, template.replaceAll('@DATA_DIR@', paths.data))
}

/** A Kafka cluster id: 16 random bytes, base64url; Kafka refuses ids that start with '-'. */
function clusterId (): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Formats the storage unless already formatted; returns true when it did. */
export async function formatStorageOnce (): Promise<boolean> {
  if (existsSync(join(paths.data, 'meta.properties'))) return false
  // a data folder without meta.properties is a half-done format: start clean
  await rm(paths.data, { recursive: true, force: true })
  const scram = LOCAL_USERS.flatMap((name) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${name}-secret]`])
  await runKafkaTool('kafka.tools.StorageTool', ['format', '-t', clusterId(), '-c', paths.serverProperties, ...scram])
  return true
}
