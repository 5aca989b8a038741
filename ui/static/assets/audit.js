// The audit log (leads and admins): every change people made, newest
// first, a page at a time; audit events that arrive live go on top.
import { $, el, api, explain, stamp } from './lib.js';

const PAGE = 100;

const au = {
  ctx: null,
  oldest: 0, // the seq of the oldest entry shown, for "older"
  seqs: new Set(),
  loaded: false,
};

function row(e) {
  const tr = el('tr');
  tr.dataset.seq = String(e.seq);
  tr.append(el('td', 'num', e.seq), el('td', null, stamp(e.at)), el('td', null, e.user || ''), el('td', null, e.action || ''),
    el('td', 'target', e.target || ''), el('td', null, typeof e.detail === 'string' ? e.detail : e.detail == null ? '' : JSON.stringify(e.detail)));
  return tr;
}

async function load(older) {
  const err = $('audit-error');
  err.textContent = '';
  let path = 'api/audit?limit=' + PAGE;
  if (older && au.oldest) path += '&before=' + au.oldest;
  try {
    const d = await api.get(path);
    const entries = Array.isArray(d.entries) ? d.entries : [];
    const body = $('audit-rows');
    if (!older) {
      body.replaceChildren();
      au.seqs.clear();
      au.oldest = 0;
    }
    for (const e of entries) {
      if (au.seqs.has(e.seq)) continue;
      au.seqs.add(e.seq);
      body.append(row(e));
      if (!au.oldest || e.seq < au.oldest) au.oldest = e.seq;
    }
    $('audit-empty').hidden = body.children.length > 0;
    $('audit-older').hidden = entries.length < PAGE;
    au.loaded = true;
  } catch (e) {
    err.textContent = explain(e, 'The audit log');
    $('audit-older').hidden = true;
  }
}

export const auditScreen = {
  mount(ctx) {
    au.ctx = ctx;
    $('audit-older').addEventListener('click', () => load(true));
    $('audit-refresh').addEventListener('click', () => load(false));
  },
  show() { load(false); },
  onEvent(e) {
    // The audit event carries one entry; show it on top when it is new.
    if (e.type !== 'audit' || !au.loaded || !e.data || typeof e.data.seq !== 'number' || au.seqs.has(e.data.seq)) return;
    au.seqs.add(e.data.seq);
    $('audit-rows').prepend(row(e.data));
    $('audit-empty').hidden = true;
  },
  reset() {
    au.loaded = false;
    au.seqs.clear();
    $('audit-error').textContent = '';
  },
};
