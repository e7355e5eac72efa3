/**
 * The gateway's HTTP API as the dashboard uses it. Every alert request asks for int64=string so
 * 64-bit ids (candid, diaSourceId) keep every digit in JavaScript.
 * With AUTH_MODE=kafka the user gives their Kafka credentials to the page's sign-in form (the
 * calls send X-Requested-With, so a 401 brings no browser Basic prompt): REST calls carry HTTP
 * Basic, the WebSocket a single-use ticket from POST /auth/ticket.
 */
export interface Item {
  topic: string
  partition: number
  offset: number | string
  timestamp: number | null
  key: string | null
  schema: string | null
  alert: Record<string, unknown> | null
  error?: { code: string, message: string }
}

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string | undefined, message: string) {
    super(message)
  }
}

const CREDENTIALS_KEY = 'fink-gateway.credentials'

export function credentials (): string | null {
  return sessionStorage.getItem(CREDENTIALS_KEY)
}

export function signIn (username: string, password: string): void {
  sessionStorage.setItem(CREDENTIALS_KEY, btoa(`${username}:${password}`))
}

export function signOut (): void {
  sessionStorage.removeItem(CREDENTIALS_KEY)
}

/** X-Requested-With: a 401 then carries no Basic challenge, so the browser shows no login prompt of its own and the page's sign-in form is used. */
function headers (): HeadersInit {
  const basic = credentials()
  return basic === null ? { 'x-requested-with': 'fink-gateway-dashboard' } : { 'x-requested-with': 'fink-gateway-dashboard', authorization: `Basic ${basic}` }
}

export async function request (path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { ...headers(), ...(init.headers ?? {}) } })
  if (!response.ok) {
    let code: string | undefined
    let message = `${response.status} ${response.statusText}`
    try {
      const body = await response.json() as { code?: string, message?: string }
      code = body.code
      if (typeof body.message === 'string') message = body.message
    } catch { /* not JSON: keep the status line */ }
    throw new ApiError(response.status, code, message)
  }
  return response
}

export async function getJson<T> (path: string): Promise<T> {
  return await (await request(path)).json() as T
}

export function alertPath (topic: string, partition: number | string, offset: number | string): string {
  return `/alerts/${encodeURIComponent(topic)}/${partition}/${offset}`
}

export function explorePath (topic: string, partition: number | string, offset: number | string): string {
  return `/explore/${encodeURIComponent(topic)}/${partition}/${offset}`
}

/**
 * Cutout images are fetched, then shown from a blob: the request carries the credentials
 * (an <img> would not send ours), and a failure comes back with the gateway's reason.
 */
export async function imageUrl (path: string): Promise<string> {
  const blob = await (await request(path)).blob()
  return URL.createObjectURL(blob)
}

export interface StreamParams {
  topics: string[]
  groupId: string
  start: string
}

export async function websocketUrl (params: StreamParams): Promise<string> {
  const query = new URLSearchParams({ topics: params.topics.join(','), int64: 'string' })
  if (params.groupId !== '') query.set('group_id', params.groupId)
  if (params.start !== '') query.set('start', params.start)
  // A browser cannot put credentials on a WebSocket: trade them (from the sign-in form) for a
  // single-use ticket. Without auth the gateway
  // ignores the ticket; a gateway without the ticket route gets the plain URL.
  try {
    const { ticket } = await (await request('/auth/ticket', { method: 'POST' })).json() as { ticket?: unknown }
    if (typeof ticket === 'string') query.set('ticket', ticket)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/ws?${query.toString()}`
}
