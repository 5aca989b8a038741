// The agents' queue: open customer mentions, most urgent first, kept live
// over the websocket; filters, search, keyboard shortcuts and an opt-in
// signal for critical items.
import {
  $, el, api, explain, ago, duration, pct, level, parseTime, langTag,
  authorBlock, replyState, clockInfo, isCritical, STATE_LABEL, SEVERITY,
} from './lib.js';

const MAX_ITEMS = 500;
const SHORT_TEXT = 280;

const q = {
  ctx: null,
  items: new Map(), // key -> mention in the list
  rows: new Map(), // key -> <li>
  selected: '',
  total: 0,
  loading: 0, // id of the newest load, so that an older answer is dropped
  signal: false, // the user asked for sound and notifications
  audio: null,
  sources: new Set(),
  brands: new Set(),
};

// ---- filters ----

function filters() {
  return {
    source: $('qf-source').value,
    lang: $('qf-lang').value,
    state: $('qf-state').value,
    min_severity: $('qf-severity').value,
    brand: $('qf-brand').value,
    q: $('qf-search').value.trim(),
  };
}

function queryString(f) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v && !(k === 'state' && v === 'mine')) p.set(k, v);
  }
  if (f.state === 'mine') p.set('state', 'assigned');
  p.set('limit', String(MAX_ITEMS));
  return p.toString();
}

// matches decides for a mention that arrives live what the server would
// have decided for the same filters (ui/queue.go).
function matches(m, f) {
  if (!m || m.by_brand) return false;
  if (f.source && m.source !== f.source) return false;
  if (f.brand && m.brand !== f.brand) return false;
  const sc = m.score;
  if (f.lang && !(sc && sc.lang === f.lang)) return false;
  const minSev = Number(f.min_severity) || 0;
  if (minSev && !(sc && sc.scored && sc.severity >= minSev)) return false;
  if (f.q) {
    const needle = f.q.toLowerCase();
    const a = m.author || {};
    if (![m.title, m.text, a.handle, a.display_name].some((s) => typeof s === 'string' && s.toLowerCase().includes(needle))) return false;
  }
  const rs = replyState(m);
  const open = rs === 'new';
  switch (f.state || 'open') {
    case 'open': return open;
    case 'unassigned': return open && !m.assigned_to;
    case 'assigned': return open && !!m.assigned_to;
    case 'mine': return open && !!m.assigned_to && m.assigned_to === (q.ctx.me && q.ctx.me.user);
    case 'overdue': return open && !!(sc && Number(sc.overdue) > 0);
    case 'settled': return !open;
    case 'all': return true;
    default: return rs === f.state;
  }
}

function priority(m) {
  return m.score ? Number(m.score.priority) || 0 : -1;
}

function newest(m) {
  return parseTime(m.created_at) || parseTime(m.seen_at);
}

function order(a, b) {
  return priority(b) - priority(a) || newest(b) - newest(a) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function addOption(select, set, value) {
  if (typeof value !== 'string' || value === '' || set.has(value)) return;
  set.add(value);
  const opts = [...select.options].slice(1);
  const o = el('option', null, value);
  o.value = value;
  const before = opts.find((x) => x.value.localeCompare(value) > 0);
  select.insertBefore(o, before || null);
}

function learn(m) {
  addOption($('qf-source'), q.sources, m.source);
  addOption($('qf-brand'), q.brands, m.brand);
}

// ---- rendering ----

function metric(label, value, cls) {
  const s = el('span', 'metric' + (cls ? ' ' + cls : ''));
  s.append(el('span', 'label', label), el('b', null, value));
  return s;
}

function renderItem(m) {
  const sc = m.score;
  const sev = sc && sc.scored ? Math.max(0, Math.min(4, sc.severity | 0)) : 0;
  const li = el('li', 'card qitem sev-' + sev);
  li.dataset.key = m.key;
  li.tabIndex = -1;
  if (isCritical(m)) li.classList.add('critical');
  if (m.key === q.selected) li.classList.add('selected');
  const rs = replyState(m);

  const meta = el('div', 'meta');
  const src = el('span', 'badge platform', m.kind || m.source || '?');
  if (m.source && m.source !== m.kind) src.setAttribute('title', 'Source: ' + m.source);
  meta.append(src, authorBlock(m.author));
  meta.append(ago(m.created_at || m.seen_at));
  const lang = sc && sc.lang;
  if (lang) meta.append(el('span', 'badge lang', String(lang).toUpperCase()));
  if (m.brand) meta.append(el('span', 'badge', m.brand));
  if (rs !== 'new') meta.append(el('span', 'badge state', STATE_LABEL[rs] || rs));
  if (m.assigned_to) meta.append(el('span', 'badge assignee', 'Assigned to ' + m.assigned_to));
  li.append(meta);

  const tag = langTag(m.lang || (sc && sc.lang !== 'other' ? sc.lang : ''));
  if (m.title) {
    const h = el('h3', 'title', m.title);
    if (tag) h.setAttribute('lang', tag);
    li.append(h);
  }
  const text = typeof m.text === 'string' ? m.text : '';
  const p = el('p', 'text', text.length > SHORT_TEXT ? text.slice(0, SHORT_TEXT) + '…' : text);
  if (tag) p.setAttribute('lang', tag);
  li.append(p);

  const scores = el('div', 'scores');
  if (!sc) {
    scores.append(el('span', 'muted', 'Not scored yet'));
  } else if (!sc.scored) {
    scores.append(el('span', 'muted', 'Not scored: language not supported (' + (sc.lang || '?') + ')'));
  } else {
    scores.append(
      metric('Priority', (Number(sc.priority) || 0).toFixed(2), level(sc.priority)),
      metric('Severity', sev + ' · ' + SEVERITY[sev], sev >= 3 ? 'hi' : sev === 2 ? 'mid' : 'lo'),
      metric('Complaint', pct(sc.complaint), level(sc.complaint)),
      metric('Virality', pct(sc.virality), level(sc.virality)),
    );
  }
  if (rs === 'new') {
    const c = clockInfo(m);
    const s = el('span', 'waiting' + (c.overdue ? ' overdue' : ''), 'Unanswered ');
    if (c.since) {
      const t = ago(m.created_at || m.seen_at, 'for ', true);
      t.classList.add('clock');
      s.append(t);
    }
    if (c.target) s.append(' · target ' + duration(c.target, false));
    scores.append(s);
  }
  li.append(scores);
  if (sc && Array.isArray(sc.reasons) && sc.reasons.length) {
    li.append(el('p', 'reasons-line', sc.reasons.slice(0, 4).join(' · ')));
  }
  li.addEventListener('click', (ev) => {
    if (ev.target.closest('a')) return;
    select(m.key);
    open(m.key);
  });
  return li;
}

function redraw() {
  const list = $('queue');
  const sorted = [...q.items.values()].sort(order);
  const keep = new Set(sorted.slice(0, MAX_ITEMS).map((m) => m.key));
  for (const [k, li] of q.rows) {
    if (!keep.has(k)) {
      li.remove();
      q.rows.delete(k);
      q.items.delete(k);
    }
  }
  let prev = null;
  for (const m of sorted) {
    if (!keep.has(m.key)) continue;
    const li = q.rows.get(m.key);
    const want = prev ? prev.nextSibling : list.firstChild;
    if (want !== li) list.insertBefore(li, want);
    prev = li;
  }
  const n = q.items.size;
  $('queue-empty').hidden = n > 0;
  $('queue-count').textContent = n ? n + (n === 1 ? ' mention' : ' mentions') : '';
  const navCount = document.querySelector('#nav a[data-screen=queue] .count');
  if (navCount) navCount.textContent = n ? String(n) : '';
  if (q.selected && !q.items.has(q.selected)) q.selected = '';
}

function upsert(m, flash) {
  const old = q.rows.get(m.key);
  const li = renderItem(m);
  if (old) old.replaceWith(li);
  else $('queue').append(li);
  if (flash) li.classList.add('flash');
  q.items.set(m.key, m);
  q.rows.set(m.key, li);
}

function remove(key) {
  const li = q.rows.get(key);
  if (li) li.remove();
  q.rows.delete(key);
  q.items.delete(key);
}

// ---- loading and live updates ----

async function load() {
  const id = ++q.loading;
  const f = filters();
  $('queue-error').textContent = '';
  let data;
  try {
    data = await api.get('api/queue?' + queryString(f));
  } catch (e) {
    if (id === q.loading) $('queue-error').textContent = explain(e, 'Loading the queue');
    throw e;
  }
  if (id !== q.loading) return data.seq;
  for (const k of [...q.rows.keys()]) remove(k);
  for (const m of data.mentions || []) {
    learn(m);
    if (matches(m, f)) upsert(m, false);
  }
  // Events that arrived while the answer was on its way.
  for (const e of q.ctx.since(data.seq)) apply(e, false);
  redraw();
  $('queue-more').textContent = data.total > (data.mentions || []).length
    ? 'Showing the first ' + data.mentions.length + ' of ' + data.total + '. Narrow the filters to see the rest.' : '';
  return data.seq;
}

function apply(e, live) {
  if (!e.type.startsWith('mention.')) return;
  const m = e.data;
  if (!m || typeof m.key !== 'string') return;
  learn(m);
  const was = q.items.get(m.key);
  if (matches(m, filters())) {
    upsert(m, live);
    if (live && isCritical(m) && !(was && isCritical(was))) signal(m);
  } else if (was) {
    remove(m.key);
  }
}

// ---- selection, keyboard, actions ----

function select(key) {
  if (q.selected && q.rows.get(q.selected)) q.rows.get(q.selected).classList.remove('selected');
  q.selected = key;
  const li = q.rows.get(key);
  if (li) {
    li.classList.add('selected');
    li.scrollIntoView({ block: 'nearest' });
  }
}

function move(step) {
  const keys = [...$('queue').children].map((li) => li.dataset.key);
  if (!keys.length) return;
  const i = keys.indexOf(q.selected);
  const next = i < 0 ? (step > 0 ? 0 : keys.length - 1) : Math.max(0, Math.min(keys.length - 1, i + step));
  select(keys[next]);
}

function open(key) {
  q.ctx.go('#/mention/' + encodeURIComponent(key));
}

export async function act(key, action, note) {
  return api.post('api/handling/' + encodeURIComponent(key), { action, note: note || '' });
}

async function quickAction(action, label) {
  const key = q.selected;
  if (!key) {
    flashStatus('Select a mention first (j / k).');
    return;
  }
  if (!q.ctx.can('handle')) {
    flashStatus('Not allowed for your role.');
    return;
  }
  try {
    const m = await act(key, action, '');
    if (m && m.key) apply({ type: 'mention.handled', data: m }, false);
    redraw();
    flashStatus(label + '.');
  } catch (e) {
    flashStatus(explain(e, label));
  }
}

function flashStatus(text) {
  $('queue-status').textContent = text;
}

function typing(ev) {
  const t = ev.target;
  return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

function onKey(ev) {
  if ($('screen-queue').hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === 'Escape') {
    $('queue-help').hidden = true;
    if (typing(ev)) ev.target.blur();
    return;
  }
  if (typing(ev)) return;
  const keys = {
    j: () => move(1),
    k: () => move(-1),
    Enter: () => { if (q.selected) open(q.selected); },
    a: () => quickAction('assign', 'Assigned to you'),
    r: () => quickAction('resolved', 'Marked resolved'),
    p: () => quickAction('private', 'Moved to a private channel'),
    n: () => quickAction('no_reply', 'Marked as needing no reply'),
    '/': () => $('qf-search').focus(),
    '?': () => { $('queue-help').hidden = !$('queue-help').hidden; },
  };
  const fn = keys[ev.key];
  if (!fn) return;
  ev.preventDefault();
  fn();
}

// ---- the signal for critical items ----

async function toggleSignal() {
  const b = $('queue-signal');
  if (q.signal) {
    q.signal = false;
    b.textContent = 'Sound & notification: off';
    b.setAttribute('aria-pressed', 'false');
    return;
  }
  // Both need the user's click: browsers allow neither on their own.
  try {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (AC && !q.audio) q.audio = new AC();
    if (q.audio && q.audio.state === 'suspended') await q.audio.resume();
  } catch (_) { q.audio = null; }
  if ('Notification' in window && Notification.permission === 'default') {
    try { await Notification.requestPermission(); } catch (_) { /* denied */ }
  }
  q.signal = true;
  b.textContent = 'Sound & notification: on';
  b.setAttribute('aria-pressed', 'true');
}

function beep() {
  const ac = q.audio;
  if (!ac) return;
  const t = ac.currentTime;
  const osc = ac.createOscillator();
  const gain = ac.createGain();
  osc.type = 'sine';
  osc.frequency.setValueAtTime(880, t);
  osc.frequency.setValueAtTime(660, t + 0.12);
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
  osc.connect(gain).connect(ac.destination);
  osc.start(t);
  osc.stop(t + 0.32);
}

function signal(m) {
  document.body.dataset.lastCritical = m.key;
  if (!q.signal) return;
  beep();
  if ('Notification' in window && Notification.permission === 'granted') {
    const a = m.author || {};
    // A notification shows plain text; it is cut short all the same.
    const n = new Notification('Critical: ' + (a.display_name || a.handle || m.source || 'mention'), {
      body: String(m.text || '').slice(0, 160),
      tag: 'pantau-' + m.key,
    });
    n.addEventListener('click', () => { window.focus(); open(m.key); });
  }
}

// ---- the screen ----

export const queueScreen = {
  live: true,
  mount(ctx) {
    q.ctx = ctx;
    const reload = () => { load().catch(() => {}); };
    for (const id of ['qf-source', 'qf-lang', 'qf-state', 'qf-severity', 'qf-brand']) $(id).addEventListener('change', reload);
    let timer = 0;
    $('qf-search').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 200);
    });
    $('queue-signal').addEventListener('click', toggleSignal);
    $('queue-help-btn').addEventListener('click', () => { $('queue-help').hidden = !$('queue-help').hidden; });
    $('queue').addEventListener('animationend', (ev) => ev.target.classList.remove('flash'));
    document.addEventListener('keydown', onKey);
    api.get('api/sources').then((d) => {
      for (const s of d.sources || []) addOption($('qf-source'), q.sources, s.source);
    }, () => {});
  },
  show() {},
  snapshot: load,
  onEvent(e) {
    if (!e.type.startsWith('mention.')) return;
    apply(e, true);
    redraw();
  },
  reset() {
    for (const k of [...q.rows.keys()]) remove(k);
    redraw();
  },
};
