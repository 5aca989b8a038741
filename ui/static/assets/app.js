// Pantau dashboard: a live feed of mentions, the open alerts and the health
// of the sources, kept current over a websocket.
//
// Everything shown here comes from the internet and is hostile: text is only
// ever set with textContent, attributes with setAttribute, and links only
// after their scheme is checked to be http(s). Never innerHTML.
(function () {
  'use strict';

  const MAX_FEED = 300;          // cards kept in the feed
  const LONG_TEXT = 600;         // characters shown before "Show more"
  const RECONNECT_MIN = 1000;    // ms
  const RECONNECT_MAX = 30000;   // ms
  const SEVERITY = ['none', 'no reproach', 'disapproval', 'accusation', 'blame'];
  const CLOSE_RESYNC = 4001;     // the server asks for a fresh snapshot

  const state = {
    lastSeq: 0,                  // newest event applied; resume point
    mentions: new Map(),         // key -> mention shown in the feed
    cards: new Map(),            // key -> <li>
    alerts: new Map(),           // id -> open or acknowledged alert
    sources: new Map(),          // name -> source state
    ws: null,
    attempts: 0,
    retryTimer: 0,
    countdown: 0,
    retryFn: null,               // what the pending retry will run
  };

  const $ = (id) => document.getElementById(id);
  const feed = $('feed');
  const alertsList = $('alerts');
  const sourcesList = $('sources');

  // ---- small DOM helpers (text only) ----

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // safeURL returns the URL if it is http(s), else null: javascript:,
  // data: and friends must never become a link.
  function safeURL(s) {
    if (typeof s !== 'string' || s === '') return null;
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(href, text, cls) {
    const url = safeURL(href);
    if (!url) return el('span', cls, text);
    const a = el('a', cls, text);
    a.setAttribute('href', url);
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer nofollow');
    return a;
  }

  // A language tag is only used as an attribute when it looks like one.
  function langTag(s) {
    return typeof s === 'string' && /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(s) ? s : '';
  }

  // time shows a moment as "5m ago" ("opened 5m ago" with a prefix), or as
  // a running clock ("for 2h 13m") when clock is set; refreshClocks keeps
  // both current.
  function time(when, prefix, clock) {
    const t = el('time', 'ago');
    const ms = parseTime(when);
    if (!ms) return t;
    t.setAttribute('datetime', new Date(ms).toISOString());
    t.setAttribute('title', new Date(ms).toLocaleString());
    t.dataset.ms = String(ms);
    t.dataset.prefix = prefix || '';
    if (clock) t.dataset.clock = '1';
    t.textContent = timeText(t);
    return t;
  }

  function timeText(t) {
    const d = Date.now() - Number(t.dataset.ms);
    return (t.dataset.prefix || '') + (t.dataset.clock ? duration(d, false) : duration(d, true));
  }

  // parseTime returns epoch ms, or 0 for a missing or Go zero time.
  function parseTime(s) {
    const ms = Date.parse(s);
    return Number.isFinite(ms) && ms > 946684800000 ? ms : 0;
  }

  function duration(d, withAgo) {
    const s = Math.max(0, Math.round(d / 1000));
    let out;
    if (s < 45) return withAgo ? 'just now' : 'under a minute';
    if (s < 3600) out = Math.round(s / 60) + 'm';
    else if (s < 86400) out = Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    else out = Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
    return withAgo ? out + ' ago' : out;
  }

  function pct(x) {
    return Math.round(Math.max(0, Math.min(1, Number(x) || 0)) * 100) + '%';
  }

  function level(x) {
    return x >= 0.7 ? 'hi' : x >= 0.4 ? 'mid' : 'lo';
  }

  // ---- the feed ----

  function isComplaint(m) {
    return !!(m.score && m.score.scored && m.score.complaint >= 0.5);
  }

  function isUnanswered(m) {
    return !m.by_brand && !m.answered_at;
  }

  function matchesFilter(m) {
    if ($('only-unanswered').checked && !isUnanswered(m)) return false;
    if ($('only-complaints').checked && !isComplaint(m)) return false;
    const q = $('filter').value.trim().toLowerCase();
    if (!q) return true;
    const a = m.author || {};
    return [m.title, m.text, a.handle, a.display_name, m.source, m.kind]
      .some((s) => typeof s === 'string' && s.toLowerCase().includes(q));
  }

  function metric(label, value, cls) {
    const s = el('span', 'metric' + (cls ? ' ' + cls : ''));
    s.append(el('span', 'label', label), el('b', null, value));
    return s;
  }

  function renderMention(m) {
    const sc = m.score;
    const sev = sc && sc.scored ? Math.max(0, Math.min(4, sc.severity | 0)) : 0;
    const li = el('li', 'card sev-' + sev);
    if (m.by_brand) li.classList.add('brand');
    if (isUnanswered(m)) li.classList.add('unanswered');
    li.dataset.seen = String(parseTime(m.seen_at));
    li.hidden = !matchesFilter(m);

    const a = m.author || {};
    const meta = el('div', 'meta');
    // The platform is what an agent needs at a glance; the configured
    // source's name is a hover away.
    const src = el('span', 'badge platform', m.kind || m.source || '?');
    if (m.source && m.source !== m.kind) src.setAttribute('title', 'Source: ' + m.source);
    meta.append(src);
    const who = link(a.profile_url, a.display_name || a.handle || 'unknown', 'author');
    // Some platforms' handles carry their own "@" (YouTube's @name).
    if (a.display_name && a.handle) who.append(' ', el('span', 'handle', a.handle.startsWith('@') ? a.handle : '@' + a.handle));
    meta.append(who);
    if (typeof a.followers === 'number') meta.append(el('span', 'followers', a.followers.toLocaleString() + ' followers'));
    meta.append(time(m.created_at || m.seen_at));
    const lang = (sc && sc.lang) || m.lang;
    if (lang) meta.append(el('span', 'badge lang', String(lang).toUpperCase()));
    if (typeof m.rating === 'number') meta.append(el('span', 'badge rating', m.rating + '★'));
    if (m.by_brand) meta.append(el('span', 'badge brandtag', 'Brand reply'));
    li.append(meta);

    const tag = langTag(m.lang || (sc && sc.lang !== 'other' ? sc.lang : ''));
    if (m.title) {
      const h = el('h3', 'title', m.title);
      if (tag) h.setAttribute('lang', tag);
      li.append(h);
    }
    const text = typeof m.text === 'string' ? m.text : '';
    const p = el('p', 'text', text.length > LONG_TEXT ? text.slice(0, LONG_TEXT) + '…' : text);
    if (tag) p.setAttribute('lang', tag);
    li.append(p);
    if (text.length > LONG_TEXT) {
      const more = el('button', 'linkbtn', 'Show more');
      more.type = 'button';
      more.addEventListener('click', () => {
        const open = more.textContent === 'Show less';
        p.textContent = open ? text.slice(0, LONG_TEXT) + '…' : text;
        more.textContent = open ? 'Show more' : 'Show less';
      });
      li.append(more);
    }

    const scores = el('div', 'scores');
    if (!sc && m.by_brand) {
      // The brand's own replies are shown for context; they need no score.
    } else if (!sc) {
      scores.append(el('span', 'muted', 'Not scored yet'));
    } else if (!sc.scored) {
      scores.append(el('span', 'muted', 'Not scored: language not supported (' + (sc.lang || '?') + ')'));
    } else {
      scores.append(
        metric('Complaint', pct(sc.complaint), level(sc.complaint)),
        metric('Severity', sev + ' · ' + SEVERITY[sev], sev >= 3 ? 'hi' : sev === 2 ? 'mid' : 'lo'),
        metric('Virality', pct(sc.virality), level(sc.virality)),
        metric('Priority', (Number(sc.priority) || 0).toFixed(2)),
      );
    }
    if (scores.children.length) li.append(scores);
    if (sc && Array.isArray(sc.reasons) && sc.reasons.length) {
      const ul = el('ul', 'reasons');
      for (const r of sc.reasons.slice(0, 12)) ul.append(el('li', null, r));
      li.append(ul);
    }

    const foot = el('div', 'foot');
    if (m.answered_at) {
      const s = el('span', 'answered', 'Answered' + (m.answered_by ? ' by @' + m.answered_by : '') + ' ');
      s.append(time(m.answered_at));
      foot.append(s);
    } else if (!m.by_brand && sc && (sc.reply_state === 'no_reply_needed' || sc.reply_state === 'private' || sc.reply_state === 'resolved')) {
      // The scorer (or an agent) settled it: no clock to show.
      const label = { no_reply_needed: 'No reply needed', private: 'Moved to a private channel', resolved: 'Resolved' }[sc.reply_state];
      foot.append(el('span', 'settled', label));
    } else if (!m.by_brand) {
      const since = parseTime(m.created_at) || parseTime(m.seen_at);
      const s = el('span', 'waiting', 'Unanswered');
      if (since) {
        const t = time(m.created_at || m.seen_at, 'for ', true);
        t.classList.add('clock');
        s.append(' ', t);
      }
      foot.append(s);
    }
    if (safeURL(m.url)) foot.append(link(m.url, 'Open post ↗', 'open'));
    if (foot.children.length) li.append(foot);
    return li;
  }

  function upsertMention(m, flash) {
    if (!m || typeof m.key !== 'string') return;
    const old = state.cards.get(m.key);
    const li = renderMention(m);
    if (old) {
      old.replaceWith(li);
    } else {
      // Keep the feed newest first, by when Pantau first saw each mention.
      const seen = Number(li.dataset.seen);
      let before = null;
      for (const c of feed.children) {
        if (Number(c.dataset.seen) <= seen) { before = c; break; }
      }
      if (!before && feed.children.length >= MAX_FEED) return; // older than all kept
      feed.insertBefore(li, before);
    }
    state.mentions.set(m.key, m);
    state.cards.set(m.key, li);
    if (flash) li.classList.add('flash');
    while (feed.children.length > MAX_FEED) {
      const last = feed.lastElementChild;
      for (const [k, c] of state.cards) {
        if (c === last) { state.cards.delete(k); state.mentions.delete(k); break; }
      }
      last.remove();
    }
    feedChanged();
  }

  function feedChanged() {
    $('feed-empty').hidden = feed.children.length > 0;
    const open = [...state.mentions.values()].filter((m) => isUnanswered(m) && isComplaint(m)).length;
    $('feed-count').textContent = open ? open + ' unanswered complaint' + (open === 1 ? '' : 's') : '';
  }

  function refilter() {
    for (const [k, li] of state.cards) li.hidden = !matchesFilter(state.mentions.get(k));
  }

  // ---- alerts ----

  function renderAlert(a) {
    const li = el('li', 'alert state-' + (a.state === 'acknowledged' ? 'ack' : 'open'));
    const head = el('div', 'alert-head');
    head.append(el('span', 'badge state', a.state === 'acknowledged' ? 'Acknowledged' : 'Open'));
    head.append(el('span', 'rule', a.rule || 'alert'));
    head.append(time(a.opened_at, 'opened '));
    li.append(head);
    li.append(el('p', 'summary', a.summary || a.mention_key || ''));
    if (Array.isArray(a.reasons) && a.reasons.length) {
      const ul = el('ul', 'reasons');
      for (const r of a.reasons.slice(0, 8)) ul.append(el('li', null, r));
      li.append(ul);
    }
    const info = [a.source, a.brand, 'priority ' + (Number(a.priority) || 0).toFixed(2)].filter(Boolean).join(' · ');
    li.append(el('div', 'alert-meta', info));
    if (a.state === 'acknowledged' && a.by) li.append(el('div', 'alert-meta', 'Acknowledged by ' + a.by));

    const err = el('p', 'error');
    err.setAttribute('role', 'alert');
    const actions = el('div', 'actions');
    if (a.state !== 'acknowledged') actions.append(actionButton(a, 'ack', 'Acknowledge', err));
    actions.append(actionButton(a, 'resolve', 'Resolve', err));
    if (a.mention_key) {
      const show = el('button', 'linkbtn', 'Show mention');
      show.type = 'button';
      show.addEventListener('click', () => showMention(a.mention_key));
      actions.append(show);
    }
    li.append(actions, err);
    return li;
  }

  function actionButton(a, verb, label, errEl) {
    const b = el('button', 'btn ' + verb, label);
    b.type = 'button';
    b.addEventListener('click', async () => {
      b.disabled = true;
      errEl.textContent = '';
      try {
        const body = JSON.stringify({ by: $('agent').value.trim() });
        const res = await fetch('api/alerts/' + encodeURIComponent(a.id) + '/' + verb, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        const data = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
        upsertAlert(data.alert);
      } catch (e) {
        errEl.textContent = label + ' failed: ' + e.message;
        b.disabled = false;
      }
    });
    return b;
  }

  function upsertAlert(a) {
    if (!a || typeof a.id !== 'string') return;
    if (a.state === 'open' || a.state === 'acknowledged') state.alerts.set(a.id, a);
    else state.alerts.delete(a.id);
    renderAlerts();
  }

  function renderAlerts() {
    const list = [...state.alerts.values()].sort((x, y) =>
      (x.state === y.state ? 0 : x.state === 'open' ? -1 : 1) ||
      (Number(y.priority) || 0) - (Number(x.priority) || 0) ||
      parseTime(y.opened_at) - parseTime(x.opened_at));
    alertsList.replaceChildren(...list.map(renderAlert));
    $('alerts-empty').hidden = list.length > 0;
    const open = list.filter((a) => a.state === 'open').length;
    $('alert-count').textContent = open ? String(open) : '';
  }

  function showMention(key) {
    const li = state.cards.get(key);
    if (!li) return;
    li.hidden = false;
    li.scrollIntoView({ behavior: 'smooth', block: 'center' });
    li.classList.remove('focus');
    void li.offsetWidth; // restart the highlight animation
    li.classList.add('focus');
  }

  // ---- sources ----

  function renderSource(s) {
    const failing = s.consecutive_errors > 0;
    const never = !parseTime(s.last_success);
    const li = el('li', 'source ' + (failing ? 'failing' : never ? 'waiting' : 'ok'));
    const head = el('div', 'source-head');
    head.append(el('span', 'dot'), el('b', null, s.source), el('span', 'kind', s.kind || ''));
    head.append(el('span', 'status', failing ? s.consecutive_errors + (s.consecutive_errors === 1 ? ' error' : ' errors in a row') : never ? 'no data yet' : 'OK'));
    li.append(head);
    const d = el('div', 'detail');
    if (!never) d.append('Last success ', time(s.last_success), ' · ');
    const items = Number(s.items_seen) || 0;
    d.append(items.toLocaleString() + (items === 1 ? ' mention' : ' mentions'));
    // Items per hour over the last day, from the store's hourly counts.
    const dayAgo = Date.now() - 24 * 3600 * 1000;
    const lastDay = (Array.isArray(s.hourly) ? s.hourly : [])
      .filter((h) => parseTime(h.hour) > dayAgo)
      .reduce((n, h) => n + (Number(h.n) || 0), 0);
    d.append(' · ' + (lastDay / 24).toFixed(1) + '/h');
    // Lag: how old the newest mention from this source is.
    const newest = parseTime(s.newest);
    if (newest) d.append(' · newest ' + duration(Math.max(0, Date.now() - newest)) + ' old');
    li.append(d);
    // What the source can and cannot see, in its own words.
    if (s.coverage) li.append(el('div', 'coverage', s.coverage));
    if (failing && s.last_error_text) li.append(el('div', 'errtext', s.last_error_text));
    const next = parseTime(s.next_attempt);
    if (failing && next > Date.now()) li.append(el('div', 'detail', 'Next try in ' + duration(next - Date.now())));
    return li;
  }

  function upsertSource(s) {
    if (!s || typeof s.source !== 'string') return;
    state.sources.set(s.source, s);
    const list = [...state.sources.values()].sort((x, y) =>
      (y.consecutive_errors > 0) - (x.consecutive_errors > 0) || x.source.localeCompare(y.source));
    sourcesList.replaceChildren(...list.map(renderSource));
    $('sources-empty').hidden = list.length > 0;
  }

  // ---- events ----

  function applyEvent(e) {
    switch (e.type) {
      case 'mention.new':
      case 'mention.scored':
      case 'mention.answered':
        upsertMention(e.data, true);
        break;
      case 'alert':
        upsertAlert(e.data);
        break;
      case 'source.health':
        upsertSource(e.data);
        break;
      default:
        // Newer servers may send event types this page does not know yet.
    }
  }

  // ---- connection ----

  function setConn(s, text) {
    $('conn').dataset.state = s;
    $('conn-text').textContent = text;
  }

  async function getJSON(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
    return res.json();
  }

  // loadSnapshot fills the page from the API. Each answer carries the event
  // seq read before its data; resuming the stream from the smallest one
  // replays whatever changed meanwhile (applying an event twice is harmless:
  // every update replaces the record by its key).
  async function loadSnapshot() {
    const [ms, al, src] = await Promise.all([
      getJSON('api/mentions?limit=100'),
      getJSON('api/alerts?state=active&limit=200'),
      getJSON('api/sources'),
    ]);
    for (const m of ms.mentions.slice().reverse()) upsertMention(m, false);
    for (const a of al.alerts) state.alerts.set(a.id, a);
    renderAlerts();
    for (const s of src.sources) upsertSource(s);
    state.lastSeq = Math.min(ms.seq, al.seq, src.seq);
  }

  function connect() {
    cancelRetry();
    const url = new URL('ws?since=' + state.lastSeq, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    setConn('connecting', state.attempts ? 'Reconnecting…' : 'Connecting…');
    let ws;
    try {
      ws = new WebSocket(url.href);
    } catch (_) {
      retry(connect);
      return;
    }
    state.ws = ws;
    ws.addEventListener('open', () => {
      state.attempts = 0;
      setConn('live', 'Live');
    });
    ws.addEventListener('message', (msg) => {
      let e;
      try { e = JSON.parse(msg.data); } catch (_) { return; }
      // The server sends each event once, in order; the check keeps a
      // replay after a reconnect harmless anyway.
      if (!e || typeof e.seq !== 'number' || e.seq <= state.lastSeq) return;
      state.lastSeq = e.seq;
      applyEvent(e);
    });
    ws.addEventListener('close', (ev) => {
      if (state.ws !== ws) return;
      state.ws = null;
      if (ev.code === CLOSE_RESYNC) {
        // The server's store is not the one this page followed: start over.
        resetState();
        retry(start);
        return;
      }
      retry(connect);
    });
  }

  // retry runs fn after an exponential backoff with jitter, so that a
  // restarted server is not hit by every dashboard at the same instant.
  function retry(fn) {
    const base = Math.min(RECONNECT_MAX, RECONNECT_MIN * 2 ** state.attempts);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    state.attempts++;
    const until = Date.now() + delay;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) setConn('offline', 'Disconnected · retrying in ' + left + 's');
    };
    cancelRetry();
    tick();
    state.retryFn = fn;
    state.countdown = setInterval(tick, 1000);
    state.retryTimer = setTimeout(() => { cancelRetry(); fn(); }, delay);
  }

  function cancelRetry() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdown);
    state.retryTimer = 0;
    state.countdown = 0;
    state.retryFn = null;
  }

  function resetState() {
    state.lastSeq = 0;
    state.mentions.clear();
    state.cards.clear();
    state.alerts.clear();
    state.sources.clear();
    feed.replaceChildren();
    sourcesList.replaceChildren();
    $('sources-empty').hidden = false;
    renderAlerts();
    feedChanged();
  }

  async function start() {
    setConn('connecting', 'Connecting…');
    try {
      await loadSnapshot();
    } catch (_) {
      retry(start);
      return;
    }
    connect();
  }

  // ---- wiring ----

  function refreshClocks() {
    for (const t of document.querySelectorAll('time[data-ms]')) {
      t.textContent = timeText(t);
    }
  }

  function init() {
    const agent = $('agent');
    try { agent.value = localStorage.getItem('pantau.agent') || ''; } catch (_) { /* storage may be off */ }
    agent.addEventListener('change', () => {
      try { localStorage.setItem('pantau.agent', agent.value.trim()); } catch (_) { /* ignore */ }
    });
    $('filter').addEventListener('input', refilter);
    $('only-unanswered').addEventListener('change', refilter);
    $('only-complaints').addEventListener('change', refilter);
    feed.addEventListener('animationend', (ev) => ev.target.classList.remove('flash', 'focus'));
    setInterval(refreshClocks, 30000);
    // Back online after sleep or a network change: do not wait out the backoff.
    window.addEventListener('online', () => {
      const fn = state.retryFn;
      if (fn) { cancelRetry(); state.attempts = 0; fn(); }
    });
    feedChanged();
    start();
  }

  init();
})();
