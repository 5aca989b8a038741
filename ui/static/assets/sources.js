// Sources and settings: each source's health and coverage, live, and the
// effective configuration, read-only (admins only; secrets come masked).
import { $, el, api, explain, notice, ago, parseTime, duration } from './lib.js';

const s = {
  ctx: null,
  sources: new Map(), // name -> source state
};

function renderSource(src) {
  const failing = src.consecutive_errors > 0;
  const never = !parseTime(src.last_success);
  const li = el('li', 'source ' + (failing ? 'failing' : never ? 'waiting' : 'ok'));
  li.dataset.source = src.source;
  const head = el('div', 'source-head');
  head.append(el('span', 'dot'), el('b', null, src.source), el('span', 'kind', src.kind || ''));
  head.append(el('span', 'status', failing ? src.consecutive_errors + (src.consecutive_errors === 1 ? ' error' : ' errors in a row') : never ? 'no data yet' : 'OK'));
  li.append(head);
  const d = el('div', 'detail');
  if (!never) d.append('Last success ', ago(src.last_success), ' · ');
  const items = Number(src.items_seen) || 0;
  d.append(items.toLocaleString() + (items === 1 ? ' mention' : ' mentions'));
  // Items per hour over the last day, from the store's hourly counts.
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const lastDay = (Array.isArray(src.hourly) ? src.hourly : [])
    .filter((h) => parseTime(h.hour) > dayAgo)
    .reduce((n, h) => n + (Number(h.n) || 0), 0);
  d.append(' · ' + (lastDay / 24).toFixed(1) + '/h');
  const newest = parseTime(src.newest);
  if (newest) d.append(' · newest ' + duration(Math.max(0, Date.now() - newest)) + ' old');
  li.append(d);
  // What the source can and cannot see, in its own words.
  if (src.coverage) li.append(el('div', 'coverage', src.coverage));
  if (failing && src.last_error_text) li.append(el('div', 'errtext', src.last_error_text));
  const next = parseTime(src.next_attempt);
  if (failing && next > Date.now()) li.append(el('div', 'detail', 'Next try in ' + duration(next - Date.now())));
  return li;
}

function render() {
  const list = [...s.sources.values()].sort((x, y) =>
    (y.consecutive_errors > 0) - (x.consecutive_errors > 0) || x.source.localeCompare(y.source));
  $('sources').replaceChildren(...list.map(renderSource));
  $('sources-empty').hidden = list.length > 0;
  const failing = list.filter((x) => x.consecutive_errors > 0).length;
  $('sources-count').textContent = failing ? failing + ' failing' : '';
}

// configTree shows the configuration as nested lists of keys and values,
// all as text.
function configTree(v, depth) {
  if (v === null || typeof v !== 'object') {
    const cls = v === '<secret>' ? 'secret' : typeof v;
    return el('span', 'cfg-' + cls, typeof v === 'string' ? v : JSON.stringify(v));
  }
  if (depth > 12) return el('span', 'muted', '…');
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
  if (!entries.length) return el('span', 'muted', Array.isArray(v) ? '[]' : '{}');
  const ul = el('ul', 'cfg');
  for (const [k, x] of entries) {
    const li = el('li');
    li.append(el('span', 'cfg-key', k + ': '), configTree(x, depth + 1));
    ul.append(li);
  }
  return ul;
}

async function loadConfig() {
  const box = $('config');
  if (!s.ctx.can('config')) {
    notice(box, 'The effective configuration is shown to admins only.');
    return;
  }
  try {
    const cfg = await api.get('api/config');
    box.replaceChildren(configTree(cfg, 0));
  } catch (e) {
    notice(box, explain(e, 'Configuration'));
  }
}

export const sourcesScreen = {
  live: true,
  mount(ctx) { s.ctx = ctx; },
  async snapshot() {
    const d = await api.get('api/sources');
    s.sources.clear();
    for (const x of d.sources || []) s.sources.set(x.source, x);
    for (const e of s.ctx.since(d.seq)) if (e.type === 'source.health' && e.data) s.sources.set(e.data.source, e.data);
    render();
    return d.seq;
  },
  show() { loadConfig(); },
  onEvent(e) {
    if (e.type !== 'source.health' || !e.data || typeof e.data.source !== 'string') return;
    s.sources.set(e.data.source, e.data);
    render();
  },
  reset() {
    s.sources.clear();
    render();
  },
};
