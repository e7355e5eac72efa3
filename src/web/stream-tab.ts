import type { Item } from './api.js'
import { ApiError, getJson, request, websocketUrl } from './api.js'
import { AlertTable } from './alert-table.js'
import { Collected, saveBlob } from './collected.js'
import { background, clear, h } from './dom.js'
import { RateChart } from './rate-chart.js'
import { parseTopicGroups } from './topic-list.js'
import { topicColour } from './topic-colours.js'

const POLL_TIMEOUT_S = 5
const GROUP_KEY = 'fink-gateway.poll-group'

/**
 * The stream tab: fink-client's "collect alerts" tab. A WebSocket session on the chosen topics
 * (with a consumer group, or a live tail without one), counts per topic, a per-minute chart, the
 * latest alerts, one-shot polls, and downloads of what was collected.
 */
export class StreamTab {
  readonly element: HTMLElement
  readonly collected = new Collected()
  private readonly table: AlertTable
  private readonly chart = new RateChart(15)
  private readonly counts = new Map<string, number>()
  private readonly countElements = new Map<string, HTMLElement>()
  private readonly recent = new Map<string, number[]>()
  private countsDirty = false
  private socket: WebSocket | null = null
  private readonly topicBox = h('div', { class: 'topic-groups', 'data-testid': 'topic-list' }, h('span', { class: 'dim' }, 'loading topics…'))
  private readonly extraTopics = h('input', { type: 'text', placeholder: 'other topics, comma-separated', class: 'wide', 'data-testid': 'extra-topics' })
  private readonly groupInput = h('input', { type: 'text', placeholder: 'none: live tail', 'data-testid': 'group-id', spellcheck: false })
  private readonly startSelect = h('select', { 'data-testid': 'start' },
    h('option', { value: '' }, 'default (a group resumes; a live tail starts now)'),
    h('option', { value: 'earliest' }, 'earliest'),
    h('option', { value: 'latest' }, 'latest'))

  private readonly startButton = h('button', { class: 'primary', 'data-testid': 'start-stream' }, 'Start')
  private readonly pollButton = h('button', { 'data-testid': 'poll' }, 'Poll')
  private readonly status = h('span', { class: 'status', 'data-testid': 'stream-status' }, 'idle')
  private readonly countsRow = h('div', { class: 'counts', 'data-testid': 'topic-counts' })
  private readonly collectedLabel = h('span', { class: 'dim' }, '0 collected')

  constructor (onOpen: (item: Item, event: MouseEvent) => void) {
    this.table = new AlertTable(100, onOpen)
    this.startButton.addEventListener('click', () => { if (this.socket === null) background(this.start()); else this.stop('stopped') })
    this.pollButton.addEventListener('click', () => { background(this.poll()) })
    const jsonButton = h('button', { 'data-testid': 'download-jsonl', title: 'every collected item, one JSON object per line' }, 'JSON lines')
    jsonButton.addEventListener('click', () => { saveBlob(`fink-alerts-${stamp()}.jsonl`, this.collected.jsonLines()) })
    const avroButton = h('button', { 'data-testid': 'download-avro', title: 'an Avro container file per writer schema' }, 'Avro')
    avroButton.addEventListener('click', () => { background(this.downloadAvro()) })
    const clearButton = h('button', { class: 'ghost' }, 'Clear')
    clearButton.addEventListener('click', () => { this.reset() })

    this.element = h('section', { class: 'stream-tab' },
      h('div', { class: 'card controls' },
        h('div', { class: 'field topics-field' }, h('label', {}, 'Topics'), this.topicBox, this.extraTopics),
        h('div', { class: 'field-row' },
          h('div', { class: 'field' }, h('label', {}, 'Consumer group'), this.groupInput),
          h('div', { class: 'field' }, h('label', {}, 'Start from'), this.startSelect),
          h('div', { class: 'buttons' }, this.startButton, this.pollButton),
          this.status)),
      this.countsRow,
      h('div', { class: 'card' }, h('h2', {}, 'Alerts per minute', h('span', { class: 'dim small' }, ' · last 15 minutes, stacked by topic')), this.chart.element),
      h('div', { class: 'card' },
        h('div', { class: 'card-head' }, h('h2', {}, 'Latest alerts'), this.collectedLabel,
          h('div', { class: 'buttons right' }, h('span', { class: 'dim small' }, 'Download'), jsonButton, avroButton, clearButton)),
        h('div', { class: 'table-scroll' }, this.table.element)))
    this.chart.draw(true)
    setInterval(() => { this.chart.draw(true) }, 10000)
    const frame = (): void => {
      this.table.flush()
      this.chart.draw()
      this.flushCounts()
      requestAnimationFrame(frame)
    }
    requestAnimationFrame(frame)
    background(this.loadTopics())
  }

  private async loadTopics (): Promise<void> {
    try {
      const groups = parseTopicGroups(await getJson<unknown>('/topics'))
      clear(this.topicBox)
      if (groups.length === 0) this.topicBox.append(h('span', { class: 'dim' }, 'no readable topics yet: type one below'))
      for (const { group, topics } of groups) {
        this.topicBox.append(h('fieldset', { class: 'topic-group' }, h('legend', {}, group),
          ...topics.map((t) => h('label', { class: 'topic' }, h('input', { type: 'checkbox', value: t, 'data-topic': t }), t))))
      }
    } catch (err) {
      clear(this.topicBox)
      this.topicBox.append(h('span', { class: 'error-text' }, `could not list topics: ${(err as Error).message}`))
    }
  }

  private selectedTopics (): string[] {
    const checked = [...this.topicBox.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((i) => i.value)
    const extra = this.extraTopics.value.split(',').map((t) => t.trim()).filter((t) => t !== '')
    return [...new Set([...checked, ...extra])]
  }

  private async start (): Promise<void> {
    const topics = this.selectedTopics()
    if (topics.length === 0) {
      this.setStatus('choose at least one topic', true)
      return
    }
    this.startButton.disabled = true
    this.setStatus('connecting…')
    // A refused WebSocket upgrade tells the page nothing: ask about the topics first, so an
    // unknown or forbidden topic is named with the gateway's own message.
    try {
      await Promise.all(topics.map(async (t) => await request(`/topics/${encodeURIComponent(t)}/offsets`)))
    } catch (err) {
      this.stop(`cannot stream: ${(err as Error).message}`, true)
      return
    }
    for (const t of topics) this.ensureCount(t)
    let socket: WebSocket
    try {
      socket = new WebSocket(await websocketUrl({ topics, groupId: this.groupInput.value.trim(), start: this.startSelect.value }))
    } catch (err) {
      this.stop(`could not connect: ${(err as Error).message}`, true)
      return
    }
    this.socket = socket
    this.startButton.disabled = false
    this.startButton.textContent = 'Stop'
    this.startButton.classList.add('danger')
    let opened = false
    socket.addEventListener('open', () => { opened = true; this.setStatus(`streaming ${topics.join(', ')}`) })
    socket.addEventListener('message', (event) => { this.onFrame(String(event.data)) })
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return
      this.socket = null
      this.resetButton()
      const clean = event.code === 1000 || event.code === 1005
      if (!opened) this.setStatus('the gateway refused the stream (check the consumer group name and the start position)', true)
      else this.setStatus(clean ? 'stream closed' : `stream closed (${event.code}${event.reason !== '' ? `: ${event.reason}` : ''})`, !clean)
    })
  }

  private stop (message: string, isError = false): void {
    const socket = this.socket
    this.socket = null
    socket?.close(1000, 'stopped by the user')
    this.resetButton()
    this.setStatus(message, isError)
  }

  private resetButton (): void {
    this.startButton.disabled = false
    this.startButton.textContent = 'Start'
    this.startButton.classList.remove('danger')
  }

  private onFrame (text: string): void {
    let frame: StatusFrame & { type?: string, code?: string } & Partial<Item>
    try {
      frame = JSON.parse(text) as typeof frame
    } catch {
      return
    }
    if (frame.type === 'alert') this.addItem(frame as Item, text.length)
    else if (frame.type === 'error') this.setStatus(`${frame.code ?? 'error'}: ${frame.message ?? ''}`, true)
    else if (frame.type === 'status') {
      this.setStatus(statusText(frame))
      if (frame.lag !== undefined && frame.lag !== null && typeof frame.lag === 'object') this.showLag(frame.lag)
    }
  }

  private addItem (item: Item, size: number): void {
    this.collected.add(item, size)
    this.table.push(item)
    this.chart.add(item.topic)
    this.ensureCount(item.topic)
    this.counts.set(item.topic, (this.counts.get(item.topic) ?? 0) + 1)
    const now = performance.now()
    const times = this.recent.get(item.topic) ?? []
    times.push(now)
    while (times.length > 0 && (times[0] ?? 0) < now - 10000) times.shift()
    this.recent.set(item.topic, times)
    this.countsDirty = true
  }

  /** The gateway's lag per topic (status frames, every few seconds): how far behind the stream is. */
  private showLag (lag: Record<string, unknown>): void {
    for (const [topic, value] of Object.entries(lag)) {
      if (typeof value !== 'number') continue
      this.ensureCount(topic)
      const el = this.countElements.get(topic)?.parentElement?.querySelector('.lag')
      if (el !== null && el !== undefined) el.textContent = value === 0 ? 'caught up' : `${value.toLocaleString('en')} behind`
    }
  }

  private ensureCount (topic: string): void {
    if (this.countElements.has(topic)) return
    const count = h('span', { class: 'count', 'data-testid': 'topic-count', 'data-topic': topic }, String(this.counts.get(topic) ?? 0))
    this.countElements.set(topic, count)
    this.countsRow.append(h('div', { class: 'count-card', style: `--topic:${topicColour(topic)}` },
      h('div', { class: 'count-topic', title: topic }, topic), count,
      h('div', { class: 'count-foot dim small' }, h('span', { class: 'rate' }), h('span', { class: 'lag', title: 'alerts in Kafka not yet read, from the gateway' }))))
  }

  private flushCounts (): void {
    if (!this.countsDirty) return
    this.countsDirty = false
    this.collectedLabel.textContent = `${this.collected.size} collected`
    const now = performance.now()
    for (const [topic, el] of this.countElements) {
      el.textContent = String(this.counts.get(topic) ?? 0)
      const times = (this.recent.get(topic) ?? []).filter((t) => t >= now - 10000)
      const rate = el.parentElement?.querySelector('.rate')
      if (rate !== null && rate !== undefined) rate.textContent = times.length > 0 ? `${(times.length / 10).toFixed(1)} /s over 10 s` : ''
    }
  }

  private async poll (): Promise<void> {
    const topics = this.selectedTopics()
    if (topics.length === 0) {
      this.setStatus('choose at least one topic', true)
      return
    }
    const groupId = this.groupInput.value.trim() !== '' ? this.groupInput.value.trim() : pollGroup()
    const query = new URLSearchParams({ topics: topics.join(','), group_id: groupId, timeout: String(POLL_TIMEOUT_S), int64: 'string' })
    this.pollButton.disabled = true
    this.setStatus(`polling (group ${groupId})…`)
    try {
      const response = await request(`/poll?${query.toString()}`)
      if (response.status === 204) {
        this.setStatus(`no alert arrived in ${POLL_TIMEOUT_S} s`)
      } else {
        const text = await response.text()
        const item = JSON.parse(text) as Item
        this.addItem(item, text.length)
        this.setStatus(`polled one alert from ${item.topic}`)
      }
    } catch (err) {
      this.setStatus(`poll failed: ${err instanceof ApiError ? `${err.code ?? err.status}: ` : ''}${(err as Error).message}`, true)
    } finally {
      this.pollButton.disabled = false
    }
  }

  private async downloadAvro (): Promise<void> {
    try {
      const files = await this.collected.avroFiles()
      if (files.length === 0) this.setStatus('nothing collected to download yet')
      for (const { name, blob } of files) saveBlob(name, blob)
    } catch (err) {
      this.setStatus(`Avro download failed: ${(err as Error).message}`, true)
    }
  }

  private reset (): void {
    this.collected.clear()
    this.table.clear()
    this.chart.reset()
    this.counts.clear()
    this.recent.clear()
    for (const el of this.countElements.values()) el.textContent = '0'
    this.countsDirty = true
  }

  private setStatus (text: string, isError = false): void {
    this.status.textContent = text
    this.status.classList.toggle('error-text', isError)
  }
}

interface StatusFrame {
  state?: string
  caught_up?: boolean
  sent?: number
  message?: string
  reason?: string
  lag?: Record<string, unknown> | null
}

/** A status frame in a few words: its state, whether the stream caught up, what it says. */
function statusText (frame: StatusFrame): string {
  const parts = [frame.state ?? 'status']
  if (frame.caught_up === true) parts.push('caught up')
  if (typeof frame.sent === 'number') parts.push(`${frame.sent.toLocaleString('en')} sent`)
  if (typeof frame.message === 'string') parts.push(frame.message)
  if (typeof frame.reason === 'string') parts.push(frame.reason)
  return parts.join(' · ')
}

function pollGroup (): string {
  let group = localStorage.getItem(GROUP_KEY)
  if (group === null) {
    group = `dashboard-${Math.random().toString(36).slice(2, 10)}`
    localStorage.setItem(GROUP_KEY, group)
  }
  return group
}

function stamp (): string {
  return new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
}
