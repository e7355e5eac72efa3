import './styles.css'
import type { Item } from './api.js'
import { credentials, explorePath, signIn, signOut } from './api.js'
import { background, h } from './dom.js'
import { parseExplorePath, renderExplorer } from './explorer.js'
import { StreamTab } from './stream-tab.js'

/**
 * The dashboard: a stream tab (/) and an explorer (/explore/{topic}/{partition}/{offset}) in one
 * page. Opening an alert from the table keeps the stream running; the explorer's address is a
 * permalink that also works on its own.
 */
const streamTab = new StreamTab((item, event) => { openAlert(item, event) })
const explorerView = h('div', { class: 'explorer-view' })
const streamLink = h('a', { href: '/', class: 'tab', 'data-testid': 'tab-stream' }, 'Stream')
const explorerLink = h('a', { href: '/', class: 'tab disabled', 'data-testid': 'tab-explorer' }, 'Explorer')
let lastExplored: string | undefined

function navigate (path: string, event?: MouseEvent): void {
  if (event !== undefined) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
  }
  if (path !== location.pathname) history.pushState(null, '', path)
  background(route())
}

function openAlert (item: Item, event: MouseEvent): void {
  navigate(explorePath(item.topic, item.partition, item.offset), event)
}

let routeGeneration = 0
async function route (): Promise<void> {
  const generation = ++routeGeneration
  const address = parseExplorePath(location.pathname)
  streamTab.element.hidden = address !== undefined
  explorerView.hidden = address === undefined
  streamLink.classList.toggle('active', address === undefined)
  explorerLink.classList.toggle('active', address !== undefined)
  if (address === undefined) {
    document.title = 'Fink gateway · stream'
    return
  }
  lastExplored = location.pathname
  explorerLink.href = lastExplored
  explorerLink.classList.remove('disabled')
  document.title = `Fink gateway · ${address.topic} ${address.partition}:${address.offset}`
  explorerView.replaceChildren(h('div', { class: 'card dim' }, 'loading the alert…'))
  const view = await renderExplorer(address, streamTab.collected.find(address.topic, address.partition, address.offset))
  if (generation !== routeGeneration) return
  explorerView.replaceChildren(view)
  const id = view.querySelector('[data-testid=object-id]')?.textContent
  if (id !== undefined && id !== null) document.title = `${id} · Fink gateway`
  window.scrollTo(0, 0)
}

streamLink.addEventListener('click', (e) => { navigate('/', e) })
explorerLink.addEventListener('click', (e) => {
  if (lastExplored === undefined) e.preventDefault()
  else navigate(lastExplored, e)
})

function accountControl (): HTMLElement {
  if (credentials() !== null) {
    const out = h('button', { class: 'ghost small' }, 'Sign out')
    out.addEventListener('click', () => { signOut(); location.reload() })
    return out
  }
  const user = h('input', { type: 'text', placeholder: 'Kafka user', autocomplete: 'username' })
  const password = h('input', { type: 'password', placeholder: 'password', autocomplete: 'current-password' })
  const form = h('form', { class: 'sign-in', hidden: true }, user, password, h('button', { type: 'submit' }, 'Sign in'))
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    signIn(user.value, password.value)
    location.reload()
  })
  const toggle = h('button', { class: 'ghost small', title: 'only needed when the gateway runs with AUTH_MODE=kafka' }, 'Sign in')
  toggle.addEventListener('click', () => { form.hidden = !form.hidden; toggle.hidden = true })
  return h('div', { class: 'account' }, toggle, form)
}

document.body.append(
  h('header', { class: 'top' },
    h('a', { href: '/', class: 'brand', onclick: (e: Event) => { navigate('/', e as MouseEvent) } }, h('span', { class: 'logo' }, '✦'), 'Fink', h('span', { class: 'brand-sub' }, 'gateway')),
    h('nav', { class: 'tabs' }, streamLink, explorerLink),
    h('div', { class: 'spacer' }),
    h('a', { href: '/docs', class: 'small dim', target: '_blank', rel: 'noopener' }, 'API'),
    accountControl()),
  h('main', {}, streamTab.element, explorerView))
window.addEventListener('popstate', () => { background(route()) })
background(route())
