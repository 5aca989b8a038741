// The on-call leads' screen: open alerts with their reasons and timeline,
// the actions on them (acknowledge, resolve, snooze, silence, escalate),
// the silences in force and who is on call now and next.
import { $, el, api, explain, notice, button, ago, stamp, parseTime, duration } from './lib.js';

const a = {
  ctx: null,
  alerts: new Map(), // id -> open or acknowledged alert
  open: new Set(), // ids whose timeline the user expanded
  timeline: new Map(), // id -> {entries} or {error}: the server's GET api/alerts/{id}
  loading: new Map(), // id -> true while a fetch runs, 'again' when another is wanted
  visible: false,
  done: new Map(), // id -> the last action that succeeded on this page
  rows: new Map(), // id -> {sig, li}: unchanged alerts keep their element (and the user's choices in it)
  oncallTimer: 0,
};

function upsert(al) {
  if (!al || typeof al.id !== 'string') return;
  if (al.state === 'open' || al.state === 'acknowledged') a.alerts.set(al.id, al);
  else {
    a.alerts.delete(al.id);
    a.open.delete(al.id);
    a.timeline.delete(al.id);
  }
}

// ---- timeline ----

const kindLabel = {
  opened: 'Opened',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  snoozed: 'Snoozed',
  escalated: 'Escalation asked',
  level: 'Level',
  snooze_ends: 'Snooze ends',
  notified: 'Notified',
  notify_retry: 'Notification retrying',
  notify_failed: 'Notification failed',
  notify_queued: 'Notification queued',
  note: 'Note',
};

// loadTimeline fetches an expanded alert's timeline from the server. A
// request made while one is on its way runs once that one is back, so the
// last change is never lost to an older answer.
async function loadTimeline(id) {
  if (a.loading.has(id)) {
    a.loading.set(id, 'again');
    return;
  }
  a.loading.set(id, true);
  try {
    const d = await api.get('api/alerts/' + encodeURIComponent(id));
    a.timeline.set(id, { entries: Array.isArray(d.timeline) ? d.timeline : [] });
  } catch (e) {
    a.timeline.set(id, { error: explain(e, 'Timeline') });
  }
  const again = a.loading.get(id) === 'again';
  a.loading.delete(id);
  fillTimeline(id);
  if (again && a.open.has(id)) loadTimeline(id);
}

// fillTimeline draws the timeline into the alert's row, if it is shown.
function fillTimeline(id) {
  const row = a.rows.get(id);
  if (!row) return;
  const ol = row.li.querySelector('ol.timeline');
  if (!ol) return;
  const t = a.timeline.get(id);
  const items = [];
  if (!t) items.push(el('li', 'muted', 'Loading…'));
  else if (t.error) items.push(el('li', 'error', t.error));
  else {
    for (const e of t.entries) {
      const li = el('li');
      li.dataset.kind = String(e.kind || '');
      const what = kindLabel[e.kind] || String(e.kind || '');
      li.append(el('span', 'muted', stamp(e.at)), ' ', el('b', null, what));
      if (e.by) li.append(' by ', el('span', 'by', String(e.by)));
      if (e.detail) li.append(': ' + String(e.detail));
      items.push(li);
    }
    ol.dataset.loaded = '1';
  }
  ol.replaceChildren(...items);
}

function timelineBox(al) {
  const box = el('details', 'timeline-box');
  box.append(el('summary', null, 'Timeline'), el('ol', 'timeline'));
  box.open = a.open.has(al.id);
  box.addEventListener('toggle', () => {
    if (box.open) {
      a.open.add(al.id);
      loadTimeline(al.id);
    } else a.open.delete(al.id);
  });
  return box;
}

// post sends one alert action; the button stays disabled while it is on
// its way, and the alert's status line says how it went.
async function post(path, body, what, errEl, btn) {
  errEl.textContent = '';
  if (btn) btn.disabled = true;
  const li = errEl.closest('li[data-id]');
  try {
    const res = await api.post(path, body);
    if (li) {
      a.done.set(li.dataset.id, what);
      li.dataset.done = what;
      const line = li.querySelector('.done');
      if (line) line.textContent = what + ': done.';
    }
    if (res && res.alert) upsert(res.alert);
    render();
    // The change is in the store (and audited) once the answer is here.
    if (li && a.open.has(li.dataset.id)) loadTimeline(li.dataset.id);
    return true;
  } catch (e) {
    errEl.textContent = explain(e, what);
    return false;
  } finally {
    if (btn) btn.disabled = false;
  }
}

function act(label, cls, path, body, err) {
  const b = button(label, 'btn ' + cls, () => post(path, typeof body === 'function' ? body() : body, label, err, b));
  return b;
}

function actionRow(al, err) {
  const row = el('div', 'actions');
  if (!a.ctx.can('alert_act')) {
    row.append(el('span', 'muted', 'Leads act on alerts.'));
    return row;
  }
  const id = encodeURIComponent(al.id);
  if (al.state !== 'acknowledged') row.append(act('Acknowledge', 'ack', 'api/alerts/' + id + '/ack', undefined, err));
  row.append(act('Resolve', 'resolve', 'api/alerts/' + id + '/resolve', undefined, err));

  const snooze = el('select', 'snooze-minutes');
  snooze.setAttribute('aria-label', 'Snooze for');
  for (const [m, label] of [[15, '15 min'], [60, '1 hour'], [240, '4 hours'], [1440, '1 day']]) {
    const o = el('option', null, label);
    o.value = String(m);
    snooze.append(o);
  }
  row.append(snooze, act('Snooze', 'snooze', 'api/alerts/' + id + '/snooze', () => ({ minutes: Number(snooze.value) }), err));
  row.append(act('Escalate', 'escalate', 'api/alerts/' + id + '/escalate', undefined, err));
  if (a.ctx.can('silence')) row.append(button('Silence…', 'btn silence', () => silenceForm(al)));
  if (al.mention_key) {
    const m = el('a', 'linkbtn', 'Open mention');
    m.setAttribute('href', '#/mention/' + encodeURIComponent(al.mention_key));
    row.append(m);
  }
  return row;
}

function renderAlert(al) {
  const li = el('li', 'alert state-' + (al.state === 'acknowledged' ? 'ack' : 'open'));
  li.dataset.id = al.id;
  const head = el('div', 'alert-head');
  head.append(el('span', 'badge state', al.state === 'acknowledged' ? 'Acknowledged' : 'Open'));
  head.append(el('span', 'rule', al.rule || 'alert'));
  head.append(ago(al.opened_at, 'opened '));
  li.append(head);
  li.append(el('p', 'summary', al.summary || al.mention_key || ''));
  if (Array.isArray(al.reasons) && al.reasons.length) {
    const ul = el('ul', 'reasons');
    for (const r of al.reasons.slice(0, 12)) ul.append(el('li', null, r));
    li.append(ul);
  }
  const info = [al.source, al.brand, 'priority ' + (Number(al.priority) || 0).toFixed(2)].filter(Boolean).join(' · ');
  li.append(el('div', 'alert-meta', info));
  li.append(timelineBox(al));
  const err = el('p', 'error');
  err.setAttribute('role', 'alert');
  const done = el('p', 'done muted', a.done.has(al.id) ? a.done.get(al.id) + ': done.' : '');
  done.setAttribute('role', 'status');
  if (a.done.has(al.id)) li.dataset.done = a.done.get(al.id);
  li.append(actionRow(al, err), err, done);
  return li;
}

function render() {
  const list = [...a.alerts.values()].sort((x, y) =>
    (x.state === y.state ? 0 : x.state === 'open' ? -1 : 1) ||
    (Number(y.priority) || 0) - (Number(x.priority) || 0) ||
    parseTime(y.opened_at) - parseTime(x.opened_at));
  const keep = new Set(list.map((x) => x.id));
  for (const [id, row] of a.rows) {
    if (!keep.has(id)) {
      row.li.remove();
      a.rows.delete(id);
    }
  }
  const box = $('alerts');
  let prev = null;
  for (const al of list) {
    const sig = JSON.stringify(al);
    let row = a.rows.get(al.id);
    if (!row || row.sig !== sig) {
      const li = renderAlert(al);
      if (row) row.li.replaceWith(li);
      row = { sig, li };
      a.rows.set(al.id, row);
      if (a.open.has(al.id)) fillTimeline(al.id);
    }
    const want = prev ? prev.nextSibling : box.firstChild;
    if (want !== row.li) box.insertBefore(row.li, want);
    prev = row.li;
  }
  $('alerts-empty').hidden = list.length > 0;
  const open = list.filter((x) => x.state === 'open').length;
  const navCount = document.querySelector('#nav a[data-screen=alerts] .count');
  if (navCount) navCount.textContent = open ? String(open) : '';
  $('alert-count').textContent = open ? open + ' open' : '';
}

// ---- silences ----

function silenceForm(al) {
  const f = $('silence-form');
  f.hidden = false;
  f.dataset.rule = al.rule || '';
  f.dataset.source = al.source || '';
  f.dataset.brand = al.brand || '';
  $('silence-what').textContent = 'Rule ' + (al.rule || '?') + (al.source ? ', source ' + al.source : '') + (al.brand ? ', brand ' + al.brand : '');
  $('silence-comment').focus();
}

async function createSilence(ev) {
  ev.preventDefault();
  const f = $('silence-form');
  const matchers = [];
  if (f.dataset.rule) matchers.push({ field: 'rule', value: f.dataset.rule });
  if ($('silence-source').checked && f.dataset.source) matchers.push({ field: 'source', value: f.dataset.source });
  if ($('silence-brand').checked && f.dataset.brand) matchers.push({ field: 'brand', value: f.dataset.brand });
  const until = new Date(Date.now() + Number($('silence-hours').value) * 3600 * 1000).toISOString();
  $('silence-error').textContent = '';
  try {
    await api.post('api/silences', { matchers, until, comment: $('silence-comment').value.trim() });
    f.hidden = true;
    $('silence-comment').value = '';
    loadSilences();
  } catch (e) {
    $('silence-error').textContent = explain(e, 'Silence');
  }
}

async function loadSilences() {
  const box = $('silences');
  try {
    const d = await api.get('api/silences');
    const list = Array.isArray(d.silences) ? d.silences : [];
    if (!list.length) {
      notice(box, 'No silences in force.');
      return;
    }
    const ul = el('ul', 'silences');
    for (const s of list) {
      const li = el('li');
      const what = (Array.isArray(s.matchers) ? s.matchers : []).map((m) => m.field + '=' + m.value).join(', ');
      li.append(el('b', null, what || 'everything'), ' until ' + stamp(s.until));
      if (s.by) li.append(' · by ' + s.by);
      if (s.comment) li.append(el('p', 'muted', s.comment));
      if (a.ctx.can('silence')) {
        const err = el('span', 'error');
        li.append(button('Remove', 'linkbtn', async () => {
          try {
            await api.del('api/silences/' + encodeURIComponent(s.id));
            loadSilences();
          } catch (e) {
            err.textContent = explain(e, 'Remove');
          }
        }), err);
      }
      ul.append(li);
    }
    box.replaceChildren(ul);
  } catch (e) {
    notice(box, explain(e, 'Silences'));
  }
}

// ---- on call ----

async function loadOncall() {
  const box = $('oncall');
  try {
    const d = await api.get('api/oncall');
    const dl = el('dl', 'oncall');
    dl.append(el('dt', null, 'Now'));
    const now = Array.isArray(d.now) ? d.now : [];
    if (!now.length) dl.append(el('dd', 'muted', 'Nobody'));
    for (const p of now) {
      const dd = el('dd');
      dd.append(el('b', null, p.name || '?'), ' · level ' + (p.level ?? '?'));
      if (Array.isArray(p.receivers) && p.receivers.length) dd.append(el('span', 'muted', ' · ' + p.receivers.join(', ')));
      dl.append(dd);
    }
    dl.append(el('dt', null, 'Next'));
    const next = Array.isArray(d.next) ? d.next : [];
    if (!next.length) dl.append(el('dd', 'muted', 'No change scheduled'));
    for (const p of next) {
      const dd = el('dd');
      const from = parseTime(p.from);
      dd.append(el('b', null, p.name || '?'), ' · level ' + (p.level ?? '?'));
      if (from) dd.append(' · from ' + stamp(p.from) + ' (in ' + duration(Math.max(0, from - Date.now()), false) + ')');
      dl.append(dd);
    }
    box.replaceChildren(dl);
  } catch (e) {
    notice(box, explain(e, 'On call'));
  }
}

export const alertsScreen = {
  live: true,
  mount(ctx) {
    a.ctx = ctx;
    $('silence-form').addEventListener('submit', createSilence);
    $('silence-cancel').addEventListener('click', () => { $('silence-form').hidden = true; });
  },
  async snapshot() {
    const d = await api.get('api/alerts?state=active&limit=200');
    a.alerts.clear();
    for (const al of d.alerts || []) upsert(al);
    for (const e of a.ctx.since(d.seq)) if (e.type === 'alert') upsert(e.data);
    render();
    for (const id of a.open) if (a.alerts.has(id)) loadTimeline(id);
    return d.seq;
  },
  show() {
    a.visible = true;
    loadOncall();
    loadSilences();
    clearInterval(a.oncallTimer);
    a.oncallTimer = setInterval(loadOncall, 60000);
  },
  hide() {
    a.visible = false;
    clearInterval(a.oncallTimer);
  },
  onEvent(e) {
    // An alert's change, or (for those who may read the audit log) who
    // made it: an expanded timeline is read again.
    const id = e.type === 'alert' ? e.data && e.data.id : e.type === 'audit' ? e.data && e.data.target : null;
    if (e.type === 'alert') {
      upsert(e.data);
      render();
    }
    if (typeof id === 'string' && a.open.has(id)) loadTimeline(id);
  },
  reset() {
    a.alerts.clear();
    a.open.clear();
    a.timeline.clear();
    for (const row of a.rows.values()) row.li.remove();
    a.rows.clear();
    render();
  },
};
