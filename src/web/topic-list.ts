/** GET /topics, grouped livestream / datatransfer / xmatch; tolerant of the exact JSON shape. */
export type TopicGroups = Array<{ group: string, topics: string[] }>

export function parseTopicGroups (body: unknown): TopicGroups {
  const root = body !== null && typeof body === 'object' && !Array.isArray(body) && 'topics' in body ? (body as { topics: unknown }).topics : body
  const names = (list: unknown): string[] => Array.isArray(list)
    ? list.map((t) => typeof t === 'string' ? t : t !== null && typeof t === 'object' ? String((t as { name?: unknown, topic?: unknown }).name ?? (t as { topic?: unknown }).topic ?? '') : '').filter((t) => t !== '')
    : []
  if (Array.isArray(root)) return [{ group: 'topics', topics: names(root).sort() }]
  if (root === null || typeof root !== 'object') return []
  return Object.entries(root as Record<string, unknown>)
    .map(([group, list]) => ({ group, topics: names(list).sort() }))
    .filter((g) => g.topics.length > 0)
}
