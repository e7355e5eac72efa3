/**
 * Who is asking. With AUTH_MODE=none every client is the anonymous principal and the gateway's
 * own Kafka identity reads for it; with AUTH_MODE=kafka the principal is the Kafka user whose
 * SASL credentials the client gave, and sessions are opened with those credentials.
 */
export interface Principal {
  name: string
  credentials: { username: string, password: string } | null
}

export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', credentials: null })

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
  }
}
