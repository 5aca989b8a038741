// Pantau dashboard: who is logged in, which screens their role may use, the
// hash router between those screens, and the one websocket that keeps them
// live. Each screen lives in its own module.
import { $, el, api, session, ApiError, explain, refreshClocks } from './lib.js';
import { queueScreen } from './queue.js';
import { detailScreen } from './detail.js';
import { alertsScreen } from './alerts.js';
import { historyScreen } from './history.js';
import { sourcesScreen } from './sources.js';
import { auditScreen } from './audit.js';

const RECONNECT_MIN = 1000; // ms
const RECONNECT_MAX = 30000; // ms
const CLOSE_RESYNC = 4001; // the server asks for a fresh snapshot

// The screens, in nav order. roles: who may open it (the server decides in
// the end; this only keeps the nav honest). nav false: reached by a link.
const screens = [
  { name: 'queue', label: 'Queue', roles: ['agent', 'lead', 'admin'], mod: queueScreen },
  { name: 'mention', label: 'Mention', roles: ['agent', 'lead', 'admin'], mod: detailScreen, nav: false },
  { name: 'alerts', label: 'Alerts', roles: ['agent', 'lead', 'admin'], mod: alertsScreen },
  { name: 'history', label: 'History', roles: ['lead', 'marketing', 'admin'], mod: historyScreen },
  { name: 'sources', label: 'Sources & settings', roles: ['agent', 'lead', 'admin'], mod: sourcesScreen },
  { name: 'audit', label: 'Audit log', roles: ['lead', 'admin'], mod: auditScreen },
];

const app = {
  me: null, // {user, role, csrf, auth}
  lastSeq: 0,
  ws: null,
  attempts: 0,
  retryTimer: 0,
  countdown: 0,
  retryFn: null,
  current: null,
  live: false, // whether this role follows the websocket
  recent: [], // the latest events, replayed over snapshots that are older
};

// The context every screen gets: the user, the API, navigation and the
// resume point of the live stream.
const ctx = {
  get me() { return app.me; },
  can(action) { return can(app.me && app.me.role, action); },
  go(hash) { location.hash = hash; },
  // since hands a screen that just read a snapshot at seq the events after
  // it that already arrived, to replay over the snapshot.
  since(seq) {
    return app.recent.filter((e) => e.seq > seq);
  },
};

// can says what a role may do, from the permission table agreed with the
// server; the server refuses anything else with 403 whatever the page shows.
function can(role, action) {
  const table = {
    handle: ['agent', 'lead', 'admin'],
    alert_act: ['lead', 'admin'],
    silence: ['lead', 'admin'],
    reveal: ['lead', 'admin'],
    config: ['admin'],
    audit: ['lead', 'admin'],
    history: ['lead', 'marketing', 'admin'],
  };
  return !!(table[action] && table[action].includes(role));
}

function allowed(screen) {
  return !!app.me && screen.roles.includes(app.me.role);
}

// ---- who is logged in ----

async function loadMe() {
  try {
    return await api.get('api/me');
  } catch (e) {
    if (e instanceof ApiError && e.missing) {
      // A server without accounts (before they existed): no login, and
      // the loopback-only binding is the protection.
      return { user: '', role: 'admin', csrf: '', auth: 'none' };
    }
    throw e;
  }
}

function showLogin(message) {
  stopLive();
  // Nothing of the last user's stays on the page for the next one.
  app.lastSeq = 0;
  app.recent = [];
  app.attempts = 0;
  for (const s of screens) if (s.mounted && s.mod.reset) s.mod.reset();
  app.me = null;
  session.csrf = '';
  document.body.dataset.role = '';
  $('nav').replaceChildren();
  $('whoami').hidden = true;
  for (const s of screens) $('screen-' + s.name).hidden = true;
  $('screen-forbidden').hidden = true;
  $('screen-login').hidden = false;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

async function login(ev) {
  ev.preventDefault();
  const btn = $('login-submit');
  btn.disabled = true;
  $('login-error').textContent = '';
  try {
    const me = await api.post('api/login', { username: $('login-user').value.trim(), password: $('login-pass').value });
    $('login-pass').value = '';
    await begin(Object.assign({ auth: 'login' }, me));
  } catch (e) {
    $('login-error').textContent = e instanceof ApiError && e.status === 401 ? 'Wrong user name or password.' : explain(e, 'Login');
  } finally {
    btn.disabled = false;
  }
}

async function logout() {
  try {
    await api.post('api/logout');
  } catch (_) { /* the session is gone either way */ }
  location.hash = '';
  showLogin('You are logged out.');
}

// begin starts the dashboard for a logged-in user.
async function begin(me) {
  app.me = me;
  session.csrf = me.csrf || '';
  document.body.dataset.role = me.role || '';
  $('screen-login').hidden = true;
  const who = $('whoami');
  who.hidden = false;
  $('whoami-name').textContent = me.auth === 'none' ? 'No login (local)' : (me.user || '?');
  $('whoami-role').textContent = me.role || '';
  $('logout').hidden = me.auth === 'none';
  buildNav();
  app.live = screens.some((s) => s.mod.live && allowed(s));
  $('conn').hidden = !app.live;
  for (const s of screens) {
    if (allowed(s) && !s.mounted) {
      s.mod.mount(ctx);
      s.mounted = true;
    }
  }
  route();
  if (app.live) startLive();
}

function buildNav() {
  const nav = $('nav');
  nav.replaceChildren();
  for (const s of screens) {
    if (s.nav === false || !allowed(s)) continue;
    const a = el('a', 'navlink', s.label);
    a.setAttribute('href', '#/' + s.name);
    a.dataset.screen = s.name;
    if (s.name === 'queue') a.append(el('span', 'count', ''));
    nav.append(a);
  }
}

// ---- routing ----

function route() {
  if (!app.me) return;
  const hash = location.hash.replace(/^#\/?/, '');
  const slash = hash.indexOf('/');
  const name = slash < 0 ? hash : hash.slice(0, slash);
  const arg = slash < 0 ? '' : hash.slice(slash + 1);
  let screen = screens.find((s) => s.name === name);
  if (!screen) {
    screen = screens.find((s) => s.nav !== false && allowed(s));
    if (!screen) {
      showForbidden();
      return;
    }
    history.replaceState(null, '', '#/' + screen.name);
  }
  $('screen-forbidden').hidden = true;
  if (!allowed(screen)) {
    showForbidden();
    return;
  }
  if (app.current && app.current !== screen && app.current.mod.hide) app.current.mod.hide();
  for (const s of screens) $('screen-' + s.name).hidden = s !== screen;
  app.current = screen;
  for (const a of $('nav').querySelectorAll('a')) a.classList.toggle('active', a.dataset.screen === screen.name);
  let decoded = arg;
  try { decoded = decodeURIComponent(arg); } catch (_) { /* keep it raw */ }
  // Screens get the argument decoded, and raw for those that read query
  // parameters from it (a digest links #/history/from=…&to=…).
  screen.mod.show(decoded, arg);
}

function showForbidden() {
  for (const s of screens) $('screen-' + s.name).hidden = true;
  if (app.current && app.current.mod.hide) app.current.mod.hide();
  app.current = null;
  $('screen-forbidden').hidden = false;
}

// ---- the live stream ----

function setConn(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

// startLive reads each live screen's snapshot (each says the seq it read
// before its data) and follows the stream from the oldest of them.
async function startLive() {
  setConn('connecting', 'Connecting…');
  let seqs;
  try {
    seqs = await Promise.all(screens.filter((s) => s.mod.live && allowed(s)).map((s) => s.mod.snapshot()));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    retry(startLive);
    return;
  }
  app.lastSeq = Math.min(...seqs.map((n) => Number(n) || 0));
  connect();
}

function connect() {
  cancelRetry();
  const url = new URL('ws?since=' + app.lastSeq, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  setConn('connecting', app.attempts ? 'Reconnecting…' : 'Connecting…');
  let ws;
  try {
    ws = new WebSocket(url.href);
  } catch (_) {
    retry(connect);
    return;
  }
  app.ws = ws;
  ws.addEventListener('open', () => {
    app.attempts = 0;
    setConn('live', 'Live');
  });
  ws.addEventListener('message', (msg) => {
    let e;
    try { e = JSON.parse(msg.data); } catch (_) { return; }
    // The server sends each event once, in order; the check keeps a replay
    // after a reconnect harmless anyway.
    if (!e || typeof e.seq !== 'number' || e.seq <= app.lastSeq || !e.data) return;
    app.lastSeq = e.seq;
    app.recent.push(e);
    if (app.recent.length > 500) app.recent.splice(0, app.recent.length - 500);
    for (const s of screens) {
      if (s.mounted && s.mod.onEvent) s.mod.onEvent(e);
    }
  });
  ws.addEventListener('close', (ev) => {
    if (app.ws !== ws) return;
    app.ws = null;
    if (ev.code === CLOSE_RESYNC) {
      // The server's store is not the one this page followed: start over.
      app.lastSeq = 0;
      app.recent = [];
      for (const s of screens) if (s.mounted && s.mod.reset) s.mod.reset();
      retry(startLive);
      return;
    }
    // A session that ended shows as a refused handshake: ask who we are.
    loadMe().then(() => retry(connect), (e) => {
      if (!(e instanceof ApiError && e.status === 401)) retry(connect);
    });
  });
}

function stopLive() {
  cancelRetry();
  if (app.ws) {
    const ws = app.ws;
    app.ws = null;
    ws.close();
  }
}

// retry runs fn after an exponential backoff with jitter, so that a
// restarted server is not hit by every dashboard at the same instant.
function retry(fn) {
  const base = Math.min(RECONNECT_MAX, RECONNECT_MIN * 2 ** app.attempts);
  const delay = Math.round(base / 2 + Math.random() * base / 2);
  app.attempts++;
  const until = Date.now() + delay;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left > 0) setConn('offline', 'Disconnected · retrying in ' + left + 's');
  };
  cancelRetry();
  tick();
  app.retryFn = fn;
  app.countdown = setInterval(tick, 1000);
  app.retryTimer = setTimeout(() => { cancelRetry(); fn(); }, delay);
}

function cancelRetry() {
  clearTimeout(app.retryTimer);
  clearInterval(app.countdown);
  app.retryTimer = 0;
  app.countdown = 0;
  app.retryFn = null;
}

// ---- start ----

async function init() {
  session.onUnauthorized = () => { if (app.me && app.me.auth !== 'none') showLogin('Your session ended. Please log in again.'); };
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  window.addEventListener('online', () => {
    const fn = app.retryFn;
    if (fn) { cancelRetry(); app.attempts = 0; fn(); }
  });
  setInterval(refreshClocks, 30000);
  let me;
  for (let attempt = 0; ; attempt++) {
    try {
      me = await loadMe();
      break;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        showLogin('');
        return;
      }
      // The server is not up yet: try again with the same backoff.
      setConn('offline', 'Cannot reach the server');
      await new Promise((r) => setTimeout(r, Math.min(RECONNECT_MAX, RECONNECT_MIN * 2 ** attempt)));
    }
  }
  await begin(me);
}

init();
