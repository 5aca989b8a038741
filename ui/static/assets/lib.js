// Shared helpers of the dashboard's screens: DOM building (text only), the
// API client, time formatting and SVG.
//
// Everything shown comes from the internet and is hostile: text is only ever
// set with textContent, attributes with setAttribute, links only after their
// scheme is checked to be http(s). Never innerHTML.

export const SEVERITY = ['none', 'no reproach', 'disapproval', 'accusation', 'blame'];
const SVGNS = 'http://www.w3.org/2000/svg';

export const $ = (id) => document.getElementById(id);

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

export function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

export function button(label, cls, onClick) {
  const b = el('button', cls || 'btn', label);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

// safeURL returns the URL if it is http(s), else null: javascript:, data:
// and friends must never become a link.
export function safeURL(s) {
  if (typeof s !== 'string' || s === '') return null;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
  } catch (_) {
    return null;
  }
}

export function link(href, text, cls) {
  const url = safeURL(href);
  if (!url) return el('span', cls, text);
  const a = el('a', cls, text);
  a.setAttribute('href', url);
  a.setAttribute('target', '_blank');
  a.setAttribute('rel', 'noopener noreferrer nofollow');
  return a;
}

// A language tag is only used as an attribute when it looks like one.
export function langTag(s) {
  return typeof s === 'string' && /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(s) ? s : '';
}

// parseTime returns epoch ms, or 0 for a missing or Go zero time.
export function parseTime(s) {
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms > 946684800000 ? ms : 0;
}

export function duration(d, withAgo) {
  const s = Math.max(0, Math.round(d / 1000));
  let out;
  if (s < 45) return withAgo ? 'just now' : 'under a minute';
  if (s < 3600) out = Math.round(s / 60) + 'm';
  else if (s < 86400) out = Math.floor(s / 3600) + 'h' + (s % 3600 >= 60 ? ' ' + Math.floor((s % 3600) / 60) + 'm' : '');
  else out = Math.floor(s / 86400) + 'd' + (s % 86400 >= 3600 ? ' ' + Math.floor((s % 86400) / 3600) + 'h' : '');
  return withAgo ? out + ' ago' : out;
}

// goDuration turns a Go time.Duration from JSON (nanoseconds) into ms.
export function goDuration(ns) {
  const n = Number(ns);
  return Number.isFinite(n) && n > 0 ? n / 1e6 : 0;
}

// ago shows a moment as "5m ago" (with a prefix), or as a running clock
// ("for 2h 13m") when clock is set; refreshClocks keeps both current.
export function ago(when, prefix, clock) {
  const t = el('time', 'ago');
  const ms = parseTime(when);
  if (!ms) return t;
  t.setAttribute('datetime', new Date(ms).toISOString());
  t.setAttribute('title', new Date(ms).toLocaleString());
  t.dataset.ms = String(ms);
  t.dataset.prefix = prefix || '';
  if (clock) t.dataset.clock = '1';
  t.textContent = agoText(t);
  return t;
}

function agoText(t) {
  const d = Date.now() - Number(t.dataset.ms);
  return (t.dataset.prefix || '') + (t.dataset.clock ? duration(d, false) : duration(d, true));
}

export function refreshClocks() {
  for (const t of document.querySelectorAll('time[data-ms]')) t.textContent = agoText(t);
}

export function stamp(when) {
  const ms = parseTime(when);
  return ms ? new Date(ms).toLocaleString() : '';
}

export function pct(x) {
  return Math.round(Math.max(0, Math.min(1, Number(x) || 0)) * 100) + '%';
}

export function level(x) {
  return x >= 0.7 ? 'hi' : x >= 0.4 ? 'mid' : 'lo';
}

export function num(x) {
  return (Number(x) || 0).toLocaleString();
}

// ---- the API ----

// ApiError carries the HTTP status so screens can tell "log in" (401),
// "not allowed" (403) and "not on this server" (404 of an unknown route)
// apart from other failures.
export class ApiError extends Error {
  constructor(status, message, missing) {
    super(message);
    this.status = status;
    this.missing = !!missing;
  }
}

export const session = { csrf: '', onUnauthorized: null };

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'the server cannot be reached');
  }
  if (res.status === 204) return {};
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = typeof data.error === 'string' ? data.error : 'HTTP ' + res.status;
    // The server's catch-all for routes it does not have: the feature is
    // not on this server (yet), which is not the same as a missing record.
    const missing = res.status === 404 && /^no API endpoint/.test(msg);
    const err = new ApiError(res.status, msg, missing);
    if (res.status === 401 && session.onUnauthorized && !path.startsWith('api/login')) session.onUnauthorized();
    throw err;
  }
  return data;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body),
  del: (path) => request('DELETE', path),
};

// explain turns an API failure into the sentence a screen shows.
export function explain(e, what) {
  if (!(e instanceof ApiError)) return what + ' failed: ' + (e && e.message ? e.message : e);
  if (e.missing) return what + ': not available on this server.';
  if (e.status === 403) return what + ': not allowed for your role.';
  if (e.status === 401) return what + ': please log in again.';
  if (e.status === 429) return what + ': too many attempts, wait a moment.';
  return what + ' failed: ' + e.message;
}

// notice replaces a container's content with one message line.
export function notice(container, text, cls) {
  container.replaceChildren(el('p', 'notice ' + (cls || ''), text));
}

// ---- mentions ----

// replyState is where a customer's mention stands, by the same rules as
// the server's queue (ui/queue.go): handling, then the brand's answer,
// then the scorer's judgement.
export function replyState(m) {
  if (m.handling) return m.handling;
  if (m.answered_at) return 'answered';
  const rs = m.score && m.score.reply_state;
  if (rs === 'answered' || rs === 'private' || rs === 'resolved' || rs === 'no_reply_needed') return rs;
  return 'new';
}

export const STATE_LABEL = {
  new: 'Open',
  answered: 'Answered',
  private: 'Moved to private',
  resolved: 'Resolved',
  no_reply_needed: 'No reply needed',
};

export function authorBlock(a, cls) {
  a = a || {};
  const who = link(a.profile_url, a.display_name || a.handle || 'unknown', cls || 'author');
  // Some platforms' handles carry their own "@" (YouTube's @name).
  if (a.display_name && a.handle) who.append(' ', el('span', 'handle', a.handle.startsWith('@') ? a.handle : '@' + a.handle));
  return who;
}

// clockInfo is a mention's unanswered clock: how long it waits, against
// which target, and how far past it.
export function clockInfo(m) {
  const since = parseTime(m.created_at) || parseTime(m.seen_at);
  const target = m.score ? goDuration(m.score.target) : 0;
  const waited = since ? Date.now() - since : 0;
  return { since, target, waited, overdue: target && waited > target ? waited - target : 0 };
}

export function isCritical(m) {
  const sc = m && m.score;
  return !!(sc && sc.scored && (sc.severity >= 4 || sc.priority >= 0.85));
}
