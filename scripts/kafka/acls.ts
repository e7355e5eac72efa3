/**
 * The contract's ACLs on the SASL listener: alice and bob may read topics, and use groups,
 * whose names start with `<name>.`, and read topics starting with `ftest_` with their own
 * groups. Nobody else may read anything (admin and the PLAINTEXT listener are super users).
 * Adding an ACL that exists is a no-op in Kafka, so applying them again is safe; a marker
 * tied to the storage's cluster id skips the tool's JVM (~1 s) when this storage has them.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runKafkaTool } from './jars.js'
import { paths } from './paths.js'

export const READERS = ['alice', 'bob'] as const
export const SHARED_TOPIC_PREFIX = 'ftest_'

function aclArgs (user: string): string[] {
  return [
    '--add', '--allow-principal', `User:${user}`,
    // --consumer: READ and DESCRIBE on the topics, READ on the groups
    '--consumer', '--topic', `${user}.`, '--topic', SHARED_TOPIC_PREFIX, '--group', `${user}.`,
    '--resource-pattern-type', 'prefixed'
  ]
}

const markerFile = join(paths.state, 'acls.applied')

/** What the marker must hold: this storage's cluster id and the ACLs applied to it. */
async function expectedMarker (): Promise<string> {
  const meta = await readFile(join(paths.data, 'meta.properties'), 'utf8')
  const clusterId = /^cluster\.id=(.*)$/m.exec(meta)?.[1] ?? ''
  return JSON.stringify({ clusterId, acls: READERS.map(aclArgs) }) + '\n'
}

/** Applies the ACLs unless this storage already has them; returns true when it ran the tool. */
export async function applyAclsOnce (plaintextBrokers: string): Promise<boolean> {
  const expected = await expectedMarker()
  if (existsSync(markerFile) && await readFile(markerFile, 'utf8') === expected) return false
  await Promise.all(READERS.map((user) => runKafkaTool('org.apache.kafka.tools.AclCommand', [
    '--bootstrap-server', plaintextBrokers, ...aclArgs(user)
  ])))
  await writeFile(markerFile, expected)
  return true
}
