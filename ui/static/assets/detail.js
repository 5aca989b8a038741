// One mention: its thread (customer posts and brand replies in order), the
// score with its reasons, the unanswered clock, its case, the link to the
// original post, the agent's actions with a note, and the notes so far.
import {
  $, el, api, explain, notice, button, link, safeURL, ago, stamp, duration, pct, level, langTag,
  authorBlock, replyState, clockInfo, STATE_LABEL, SEVERITY,
} from './lib.js';
import { act } from './queue.js';

const ACTIONS = [
  ['assign', 'Assign to me'],
  ['unassign', 'Unassign'],
  ['answered', 'Mark answered'],
  ['private', 'Moved to private channel'],
  ['no_reply', 'No reply needed'],
  ['resolved', 'Resolved'],
  ['reopen', 'Reopen'],
];

const d = {
  ctx: null,
  key: '',
  keys: new Set(), // the keys of the thread shown, to follow live
  loading: 0,
  timer: 0,
};

function section(title, ...children) {
  const s = el('section', 'panel');
  s.append(el('h2', null, title), ...children);
  return s;
}

function post(m, current) {
  const li = el('li', 'post' + (m.by_brand ? ' brand' : '') + (current ? ' current' : ''));
  li.dataset.key = m.key;
  const meta = el('div', 'meta');
  meta.append(el('span', 'badge platform', m.kind || m.source || '?'), authorBlock(m.author), ago(m.created_at || m.seen_at));
  if (m.by_brand) meta.append(el('span', 'badge brandtag', 'Brand reply'));
  if (current) meta.append(el('span', 'badge', 'This mention'));
  li.append(meta);
  const tag = langTag(m.lang || (m.score && m.score.lang !== 'other' ? m.score.lang : ''));
  if (m.title) {
    const h = el('h3', 'title', m.title);
    if (tag) h.setAttribute('lang', tag);
    li.append(h);
  }
  const p = el('p', 'text', typeof m.text === 'string' ? m.text : '');
  if (tag) p.setAttribute('lang', tag);
  li.append(p);
  // Personal data is masked; a lead may see it on purpose, and that is
  // audited under their name (so only with a login).
  const pii = m.score && Array.isArray(m.score.pii) ? m.score.pii.length : 0;
  if (pii && d.ctx.can('reveal') && d.ctx.me && d.ctx.me.auth === 'login') {
    const err = el('span', 'error');
    const b = button('Show personal data (logged)', 'linkbtn reveal', async () => {
      b.disabled = true;
      try {
        const res = await api.post('api/reveal/' + encodeURIComponent(m.key));
        p.textContent = typeof res.text === 'string' ? res.text : '';
        p.classList.add('revealed');
        b.remove();
      } catch (e) {
        err.textContent = explain(e, 'Show personal data');
        b.disabled = false;
      }
    });
    li.append(b, err);
  }
  if (!current && !m.by_brand) {
    const a = el('a', 'linkbtn', 'Open this post');
    a.setAttribute('href', '#/mention/' + encodeURIComponent(m.key));
    li.append(a);
  }
  return li;
}

function scorePanel(m) {
  const sc = m.score;
  if (!sc) return section('Score', el('p', 'muted', 'Not scored yet.'));
  if (!sc.scored) return section('Score', el('p', 'muted', 'Not scored: language not supported (' + (sc.lang || '?') + ').'));
  const sev = Math.max(0, Math.min(4, sc.severity | 0));
  const grid = el('dl', 'facts');
  const fact = (k, v, cls) => {
    grid.append(el('dt', null, k));
    grid.append(el('dd', cls || null, v));
  };
  fact('Priority', (Number(sc.priority) || 0).toFixed(2), level(sc.priority));
  fact('Complaint', pct(sc.complaint), level(sc.complaint));
  fact('Severity', sev + ' · ' + SEVERITY[sev], sev >= 3 ? 'hi' : sev === 2 ? 'mid' : 'lo');
  fact('Sentiment', (Number(sc.sentiment) || 0).toFixed(2));
  fact('Virality', pct(sc.virality), level(sc.virality));
  fact('Language', String(sc.lang || '?').toUpperCase());
  const ul = el('ul', 'reasons');
  for (const r of Array.isArray(sc.reasons) ? sc.reasons : []) ul.append(el('li', null, r));
  return section('Score', grid, ul.children.length ? ul : el('p', 'muted', 'No reasons given.'));
}

function clockPanel(m) {
  const rs = replyState(m);
  const box = el('div', 'clockbox');
  if (rs !== 'new') {
    const s = el('p', 'settled', STATE_LABEL[rs] || rs);
    if (m.answered_at && rs === 'answered') s.append(' ', ago(m.answered_at), m.answered_by ? ' by @' + m.answered_by : '');
    if (m.handling && m.handled_by) s.append(' · by ' + m.handled_by);
    box.append(s);
  } else {
    const c = clockInfo(m);
    const s = el('p', 'waiting' + (c.overdue ? ' overdue' : ''), 'Unanswered ');
    const t = ago(m.created_at || m.seen_at, 'for ', true);
    t.classList.add('clock');
    s.append(t);
    box.append(s);
    box.append(el('p', 'muted', c.target ? 'Target ' + duration(c.target, false) + (c.overdue ? ' · overdue by ' + duration(c.overdue, false) : ' · within target') : 'No response target for this channel.'));
  }
  if (m.assigned_to) box.append(el('p', null, 'Assigned to ' + m.assigned_to));
  const sc = m.score;
  if (sc && sc.case && sc.case !== m.key) {
    const a = el('a', 'case', 'Part of case ' + sc.case);
    a.setAttribute('href', '#/mention/' + encodeURIComponent(sc.case));
    box.append(a);
  } else if (sc && sc.case) {
    box.append(el('p', 'muted', 'First post of its case.'));
  }
  if (sc && sc.escalated) box.append(el('p', 'hi', 'The customer followed up without an answer.'));
  box.append(safeURL(m.url) ? link(m.url, 'Open the original post ↗', 'open') : el('p', 'muted', 'The source gives no link to the original post.'));
  return section('Clock and case', box);
}

function actionsPanel(m) {
  const box = el('div', 'detail-actions');
  const err = el('p', 'error');
  err.setAttribute('role', 'alert');
  const status = el('p', 'muted');
  status.setAttribute('role', 'status');
  if (!d.ctx.can('handle')) {
    box.append(el('p', 'muted', 'Your role cannot act on mentions.'));
    return section('Actions', box);
  }
  const note = el('textarea', 'note');
  note.id = 'detail-note';
  note.setAttribute('maxlength', '1000');
  note.setAttribute('rows', '2');
  note.setAttribute('placeholder', 'Note (optional): what you did, where the conversation went');
  note.setAttribute('aria-label', 'Note');
  const row = el('div', 'actions');
  for (const [action, label] of ACTIONS) {
    const b = button(label, 'btn act-' + action, async () => {
      for (const x of row.querySelectorAll('button')) x.disabled = true;
      err.textContent = '';
      status.textContent = '';
      try {
        await act(m.key, action, note.value.trim());
        note.value = '';
        status.textContent = label + ': done.';
        await load(m.key);
      } catch (e) {
        err.textContent = explain(e, label);
      } finally {
        for (const x of row.querySelectorAll('button')) x.disabled = false;
      }
    });
    row.append(b);
  }
  box.append(note, row, status, err);
  return section('Actions', box);
}

function notesPanel(data) {
  if (!Array.isArray(data.notes)) return section('Notes', el('p', 'muted', 'Notes are not available on this server.'));
  if (!data.notes.length) return section('Notes', el('p', 'muted', 'No notes yet.'));
  const ol = el('ol', 'notes');
  for (const n of data.notes) {
    const li = el('li', 'note-item');
    const head = el('div', 'meta');
    head.append(el('b', null, n.by || '?'), el('span', 'badge', String(n.action || '').replace(/_/g, ' ')), el('span', 'muted', stamp(n.at)));
    li.append(head);
    if (n.note) li.append(el('p', 'text', n.note));
    ol.append(li);
  }
  return section('Notes', ol);
}

async function load(key) {
  const id = ++d.loading;
  let data;
  try {
    data = await api.get('api/mentions/' + encodeURIComponent(key));
  } catch (e) {
    if (id === d.loading) notice($('detail'), explain(e, 'Loading the mention'), 'error');
    return;
  }
  if (id !== d.loading || key !== d.key) return;
  const m = data.mention;
  const thread = Array.isArray(data.thread) && data.thread.length ? data.thread : [m];
  d.keys = new Set(thread.map((x) => x.key).concat([m.key]));

  const head = el('div', 'detail-head');
  const back = el('a', 'linkbtn', '← Queue');
  back.setAttribute('href', '#/queue');
  const rs = replyState(m);
  head.append(back, el('span', 'badge state', STATE_LABEL[rs] || rs));
  const title = el('h2', 'detail-title');
  title.append(authorBlock(m.author), ' on ' + (m.kind || m.source || '?'));
  head.append(title);

  const ol = el('ol', 'thread');
  for (const t of thread) ol.append(post(t, t.key === m.key));
  const left = el('div', 'detail-main');
  left.append(section('Thread (' + thread.length + (thread.length === 1 ? ' post)' : ' posts)'), ol), actionsPanel(m), notesPanel(data));
  const right = el('div', 'detail-side');
  right.append(clockPanel(m), scorePanel(m));
  const body = el('div', 'detail-body');
  body.append(left, right);
  $('detail').replaceChildren(head, body);
  $('detail').dataset.key = m.key;
}

export const detailScreen = {
  mount(ctx) { d.ctx = ctx; },
  show(key) {
    d.key = key;
    $('detail').dataset.key = '';
    if (!key) {
      notice($('detail'), 'No mention chosen.');
      return;
    }
    notice($('detail'), 'Loading…');
    load(key);
  },
  hide() { d.key = ''; },
  onEvent(e) {
    if (!d.key || !e.type.startsWith('mention.') || !e.data) return;
    const m = e.data;
    if (d.keys.has(m.key) || m.reply_to && d.keys.has(m.reply_to) || m.thread_root && d.keys.has(m.thread_root)) {
      clearTimeout(d.timer);
      d.timer = setTimeout(() => { if (d.key) load(d.key); }, 150);
    }
  },
};
