/**
 * The contract's ACLs on the SASL listener: alice and bob may read topics, and use groups,
 * whose names start with `<name>.`, and read topics starting with `ftest_` with their own
 * groups. Nobody else may read anything (admin and the PLAINTEXT listener are super users).
 * Adding an ACL that exists is a no-op in Kafka, so this is safe on every start.
 */
import { runKafkaTool } from './jars.js'

export const READERS = ['alice', 'bob'] as const
export const SHARED_TOPIC_PREFIX = 'ftest_'

export async function applyAcls (plaintextBrokers: string): Promise<void> {
  await Promise.all(READERS.map((user) => runKafkaTool('org.apache.kafka.tools.AclCommand', [
    '--bootstrap-server', plaintextBrokers,
    '--add', '--allow-principal', `User:${user}`,
    // --consumer: READ and DESCRIBE on the topics, READ on the groups
    '--consumer', '--topic', `${user}.`, '--topic', SHARED_TOPIC_PREFIX, '--group', `${user}.`,
    '--resource-pattern-type', 'prefixed'
  ])))
}
