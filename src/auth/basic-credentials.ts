import type { KafkaCredentials } from '../kafka/consumer-options.js'

export type Credentials = NonNullable<KafkaCredentials>

/** What a client is told in the `WWW-Authenticate` header of a 401. */
export const BASIC_CHALLENGE = 'Basic realm="fink-gateway"'

/** Longest username or password accepted; Kafka's own SCRAM limits are far below this. */
const MAX_PART_LENGTH = 1024

/**
 * The credentials of an `Authorization: Basic …` header (RFC 7617, UTF-8), or null when the
 * header is absent, uses another scheme, or is malformed. Never throws: a client error must
 * not leak the header into a stack trace.
 */
export function parseBasicAuthorization (header: string | undefined): Credentials | null {
  if (header === undefined) return null
  const match = /^basic[ \t]+([A-Za-z0-9+/=._~-]+)[ \t]*$/i.exec(header)
  if (match === null) return null
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return null
  const username = decoded.slice(0, colon)
  const password = decoded.slice(colon + 1)
  if (password.length === 0 || username.length > MAX_PART_LENGTH || password.length > MAX_PART_LENGTH) return null
  // control characters cannot be part of a Kafka principal and would corrupt logs
  if (hasControlCharacter(username)) return null
  return { username, password }
}

function hasControlCharacter (text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}
