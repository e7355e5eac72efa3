/** Is the local Kafka up? A TCP connect per listener, then a real metadata request on each. */
import { connect } from 'node:net'

export function portOpen (hostPort: string, timeoutMs = 1000): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = hostPort.split(':')
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) })
    const done = (open: boolean): void => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Fetches cluster metadata with librdkafka; resolves with the number of brokers seen.
 * `extra` adds client options (SASL). Bounded by timeoutMs.
 */
export async function metadataBrokers (brokers: string, extra: Record<string, string> = {}, timeoutMs = 5000): Promise<number> {
  const { default: Kafka } = await import('node-rdkafka')
  const producer = new Kafka.Producer({
    'metadata.broker.list': brokers,
    'client.id': 'fink-gateway-kafka-probe',
    'socket.timeout.ms': timeoutMs,
    log_level: 0,
    ...extra
  })
  try {
    const metadata = await new Promise<{ brokers: unknown[] }>((resolve, reject) => {
      producer.connect({ timeout: timeoutMs, allTopics: false }, (err, data) => {
        if (err !== null && err !== undefined) reject(err)
        else resolve(data)
      })
    })
    return metadata.brokers.length
  } finally {
    if (producer.isConnected()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        producer.disconnect(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}
