// Marketing's reputation history: a period compared with the one before,
// drawn as SVG by this file (no chart library, nothing from the internet),
// with tables per source and brand, the top topics and exports.
import { $, el, svg, api, explain, notice, parseTime, num } from './lib.js';

const DAY = 24 * 3600 * 1000;
const PRESETS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY, '365d': 365 * DAY };
const W = 560; // chart width in SVG units; the SVG scales to its box
const H = 200;
const PAD = { l: 44, r: 12, t: 12, b: 28 };

const h = {
  ctx: null,
  loading: 0,
  data: null,
};

// ---- numbers ----

function share(x) {
  const n = Number(x);
  return Number.isFinite(n) ? (Math.round(n * 1000) / 10).toFixed(1) + '%' : '–';
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function tickLabel(v, isShare) {
  return isShare ? Math.round(v * 1000) / 10 + '%' : (Math.round(v * 10) / 10).toLocaleString();
}

function timeLabel(t, step) {
  const d = new Date(parseTime(t));
  if (Number.isNaN(d.getTime())) return '';
  if (step === 'hour') return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

// ---- SVG charts ----

function frame(title) {
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart', preserveAspectRatio: 'xMidYMid meet' });
  s.append(svg('title', null, title));
  return s;
}

// axes draws the horizontal grid with y labels and a few x labels.
function axes(s, max, xs, labels, isShare) {
  const ih = H - PAD.t - PAD.b;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = PAD.t + ih - (ih * i) / 4;
    s.append(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }));
    s.append(svg('text', { x: PAD.l - 6, y: y + 4, class: 'ylabel', 'text-anchor': 'end' }, tickLabel(v, isShare)));
  }
  const n = xs.length;
  const picks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
  for (const i of [...new Set(picks)]) {
    if (i >= n) continue;
    s.append(svg('text', { x: xs[i], y: H - 8, class: 'xlabel', 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, labels[i]));
  }
}

function yOf(v, max) {
  const ih = H - PAD.t - PAD.b;
  return PAD.t + ih - (ih * Math.max(0, v)) / max;
}

// timeChart draws series over time: bars (stacked when several) and
// lines. Every bar and point carries its value in data-value and a
// tooltip, so what is drawn can be checked against the API's numbers.
function timeChart(title, series, step, bars, lines, opts) {
  opts = opts || {};
  const s = frame(title);
  const n = series.length;
  const iw = W - PAD.l - PAD.r;
  const slot = n ? iw / n : iw;
  const xs = series.map((_, i) => PAD.l + slot * i + slot / 2);
  let max = 0;
  for (const p of series) {
    max = Math.max(max, bars.reduce((t, b) => t + (Number(b.value(p)) || 0), 0));
    for (const l of lines) max = Math.max(max, Number(l.value(p)) || 0);
  }
  max = opts.share ? Math.max(0.05, Math.min(1, niceMax(max))) : niceMax(max);
  axes(s, max, xs, series.map((p) => timeLabel(p.t, step)), opts.share);
  const bw = Math.max(1, Math.min(28, slot * 0.7));
  series.forEach((p, i) => {
    let base = 0;
    for (const b of bars) {
      const v = Number(b.value(p)) || 0;
      const y0 = yOf(base, max);
      const y1 = yOf(base + v, max);
      const r = svg('rect', { x: xs[i] - bw / 2, y: y1, width: bw, height: Math.max(0, y0 - y1), class: 'bar ' + b.cls, 'data-value': v, 'data-t': p.t });
      r.append(svg('title', null, timeLabel(p.t, step) + ': ' + tickLabel(v, opts.share) + ' ' + b.label));
      s.append(r);
      base += v;
    }
  });
  for (const l of lines) {
    const pts = series.map((p, i) => [xs[i], yOf(Number(l.value(p)) || 0, max)]);
    if (pts.length > 1) s.append(svg('polyline', { points: pts.map((q) => q[0].toFixed(1) + ',' + q[1].toFixed(1)).join(' '), class: 'line ' + l.cls }));
    series.forEach((p, i) => {
      const v = Number(l.value(p)) || 0;
      const c = svg('circle', { cx: pts[i][0], cy: pts[i][1], r: 2.5, class: 'pt ' + l.cls, 'data-value': v, 'data-t': p.t });
      c.append(svg('title', null, timeLabel(p.t, step) + ': ' + tickLabel(v, opts.share) + ' ' + l.label));
      s.append(c);
    });
  }
  return s;
}

// barList draws labelled horizontal bars (severity mix, response times).
function barList(title, items, opts) {
  opts = opts || {};
  const rowH = 26;
  const height = PAD.t + items.length * rowH + (opts.markAt !== undefined ? 20 : 8);
  const s = svg('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', class: 'chart bars', preserveAspectRatio: 'xMidYMid meet' });
  s.append(svg('title', null, title));
  const max = Math.max(1, ...items.map((it) => Number(it.value) || 0));
  const x0 = 120;
  const iw = W - x0 - 90;
  items.forEach((it, i) => {
    const y = PAD.t + i * rowH;
    const v = Number(it.value) || 0;
    s.append(svg('text', { x: x0 - 8, y: y + 15, class: 'blabel', 'text-anchor': 'end' }, it.label));
    const r = svg('rect', { x: x0, y: y + 3, width: (iw * v) / max, height: rowH - 8, class: 'bar ' + (it.cls || ''), 'data-value': v, 'data-key': it.key });
    r.append(svg('title', null, it.label + ': ' + num(v)));
    s.append(r);
    const txt = num(v) + (it.previous !== undefined ? ' (prev ' + num(it.previous) + ')' : '');
    s.append(svg('text', { x: x0 + (iw * v) / max + 6, y: y + 15, class: 'bvalue', 'data-key': it.key }, txt));
  });
  if (opts.markAt !== undefined) {
    const y = PAD.t + opts.markAt * rowH;
    s.append(svg('line', { x1: 8, x2: W - 8, y1: y, y2: y, class: 'target' }));
    // The label goes under the bars, out of the way of their values.
    s.append(svg('line', { x1: 8, x2: 30, y1: height - 9, y2: height - 9, class: 'target' }));
    s.append(svg('text', { x: 36, y: height - 5, class: 'tlabel', 'text-anchor': 'start' }, opts.markLabel || 'target'));
  }
  return s;
}

function chartBox(id, title, chart, caption) {
  const fig = el('figure', 'chartbox');
  fig.id = id;
  fig.append(el('figcaption', null, title), chart);
  if (caption) fig.append(el('p', 'muted', caption));
  return fig;
}

function legend(items) {
  const ul = el('ul', 'legend');
  for (const [cls, label] of items) {
    const li = el('li');
    li.append(el('span', 'swatch ' + cls), label);
    ul.append(li);
  }
  return ul;
}

// ---- KPIs and tables ----

function kpi(key, label, cur, prev, fmt, goodUp) {
  const d = el('div', 'kpi');
  d.dataset.kpi = key;
  d.append(el('span', 'label', label), el('b', 'value', fmt(cur)));
  const c = Number(cur);
  const p = Number(prev);
  if (Number.isFinite(c) && Number.isFinite(p)) {
    const diff = c - p;
    const arrow = diff > 0 ? '▲' : diff < 0 ? '▼' : '=';
    const good = diff === 0 ? '' : (diff > 0) === goodUp ? ' good' : ' bad';
    d.append(el('span', 'delta' + good, arrow + ' vs ' + fmt(prev) + ' before'));
  }
  return d;
}

function totalsRow(name, t) {
  const tr = el('tr');
  t = t || {};
  const audit = t.audit || {};
  tr.append(el('th', null, name), el('td', 'num', num(t.mentions)), el('td', 'num', num(t.complaints)),
    el('td', 'num', share(t.complaint_share)), el('td', 'num', share(t.unanswered_share)),
    el('td', 'num', (audit.pass || audit.fail) ? share(audit.pass_rate) : '–'));
  return tr;
}

function totalsTable(id, first, rows) {
  const t = el('table', 'grid-table');
  t.id = id;
  const head = el('tr');
  for (const c of [first, 'Mentions', 'Complaints', 'Complaint share', 'Unanswered', 'Reply audit pass']) head.append(el('th', null, c));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const [name, tot] of rows) tbody.append(totalsRow(name, tot));
  t.append(thead, tbody);
  return t;
}

// ---- the page ----

function period() {
  const preset = $('hf-period').value;
  let from;
  let to;
  if (preset === 'custom') {
    from = new Date($('hf-from').value);
    to = new Date($('hf-to').value);
  } else {
    to = new Date();
    from = new Date(to.getTime() - PRESETS[preset]);
  }
  return { from, to };
}

function params() {
  const { from, to } = period();
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
  const p = new URLSearchParams();
  p.set('from', from.toISOString());
  p.set('to', to.toISOString());
  let step = $('hf-step').value;
  if (step === 'auto') {
    const span = to - from;
    step = span <= 2 * DAY ? 'hour' : span <= 120 * DAY ? 'day' : 'week';
  }
  p.set('step', step);
  if ($('hf-source').value) p.set('source', $('hf-source').value);
  if ($('hf-brand').value) p.set('brand', $('hf-brand').value);
  return p;
}

function setExports(p) {
  for (const fmt of ['csv', 'json']) {
    const a = $('export-' + fmt);
    if (!p) {
      a.removeAttribute('href');
      continue;
    }
    const q = new URLSearchParams(p);
    q.set('format', fmt);
    a.setAttribute('href', 'api/history/export?' + q.toString());
    a.setAttribute('download', 'pantau-history.' + fmt);
  }
}

function fill(select, values) {
  const cur = select.value;
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of values) {
    if (typeof v !== 'string' || !v || have.has(v)) continue;
    const o = el('option', null, v);
    o.value = v;
    select.append(o);
    have.add(v);
  }
  select.value = cur;
}

function render(d) {
  const t = d.totals || {};
  const pt = d.previous_totals || {};
  const series = Array.isArray(d.series) ? d.series : [];
  const out = $('history-body');

  const head = el('p', 'muted period-line');
  head.textContent = 'From ' + new Date(parseTime(d.from)).toLocaleString() + ' to ' + new Date(parseTime(d.to)).toLocaleString() +
    ' by ' + d.step + '; compared with ' + (d.previous ? new Date(parseTime(d.previous.from)).toLocaleString() + ' to ' + new Date(parseTime(d.previous.to)).toLocaleString() : 'the period before') + '.';

  const kpis = el('div', 'kpis');
  const within = (x) => (Number(x.answered) ? Number(x.answered_within_target) / Number(x.answered) : NaN);
  kpis.append(
    kpi('mentions', 'Mentions', t.mentions, pt.mentions, num, true),
    kpi('complaints', 'Complaints', t.complaints, pt.complaints, num, false),
    kpi('complaint_share', 'Complaint share', t.complaint_share, pt.complaint_share, share, false),
    kpi('unanswered_share', 'Left unanswered', t.unanswered_share, pt.unanswered_share, share, false),
    kpi('within_target', 'Answered within target', within(t), within(pt), share, true),
    kpi('audit_pass_rate', 'Reply audit pass rate', (t.audit || {}).pass_rate, (pt.audit || {}).pass_rate, share, true),
    kpi('sentiment', 'Mean sentiment', (t.sentiment || {}).mean, (pt.sentiment || {}).mean, (x) => (Number.isFinite(Number(x)) ? Number(x).toFixed(2) : '–'), true),
  );

  const charts = el('div', 'charts');
  charts.append(chartBox('chart-volume', 'Mentions and complaints',
    timeChart('Mentions and complaints over time', series, d.step,
      [{ cls: 'mentions', label: 'mentions', value: (p) => p.mentions }],
      [{ cls: 'complaints', label: 'complaints', value: (p) => p.complaints }]),
  ));
  charts.lastChild.append(legend([['mentions', 'Mentions'], ['complaints', 'Complaints']]));
  charts.append(chartBox('chart-share', 'Complaint share',
    timeChart('Complaint share over time', series, d.step, [],
      [{ cls: 'share', label: 'complaint share', value: (p) => (Number(p.mentions) ? Number(p.complaints) / Number(p.mentions) : 0) }], { share: true })));
  charts.append(chartBox('chart-sentiment', 'Sentiment',
    timeChart('Sentiment over time', series, d.step, [
      { cls: 'negative', label: 'negative', value: (p) => p.negative },
      { cls: 'neutral', label: 'neutral', value: (p) => p.neutral },
      { cls: 'positive', label: 'positive', value: (p) => p.positive },
    ], [])));
  charts.lastChild.append(legend([['negative', 'Negative'], ['neutral', 'Neutral'], ['positive', 'Positive']]));
  const sev = t.severity || {};
  const psev = pt.severity || {};
  const sevNames = { 1: '1 · no reproach', 2: '2 · disapproval', 3: '3 · accusation', 4: '4 · blame' };
  charts.append(chartBox('chart-severity', 'Severity mix of complaints',
    barList('Complaints by severity', [1, 2, 3, 4].map((k) => ({ key: String(k), label: sevNames[k], value: sev[k], previous: psev[k], cls: 'sev' + k })))));
  const rt = Array.isArray(t.response_time) ? t.response_time : [];
  const prt = Array.isArray(pt.response_time) ? pt.response_time : [];
  const targetAt = rt.findIndex((b) => b.le === '1h');
  charts.append(chartBox('chart-response', 'Response time of answers',
    barList('Answers by response time', rt.map((b) => ({
      key: b.le, label: b.le === 'inf' ? 'over 24h' : 'within ' + b.le, value: b.count,
      previous: (prt.find((x) => x.le === b.le) || {}).count, cls: 'rt',
    })), targetAt >= 0 ? { markAt: targetAt + 1, markLabel: 'social media target: 1h' } : {}),
    num(t.answered_within_target) + ' of ' + num(t.answered) + ' answers within their channel\'s target.'));
  charts.append(chartBox('chart-unanswered', 'Customers left unanswered past target',
    timeChart('Unanswered past target over time', series, d.step,
      [{ cls: 'unanswered', label: 'unanswered past target', value: (p) => p.unanswered_past_target }],
      [{ cls: 'answered', label: 'answered', value: (p) => p.answered }]),
    share(t.unanswered_share) + ' of customers left unanswered (' + num(t.unanswered_past_target) + ').'));
  charts.lastChild.append(legend([['unanswered', 'Unanswered past target'], ['answered', 'Answered']]));
  const audit = t.audit || {};
  charts.append(chartBox('chart-audit', 'Reply audit',
    barList('Brand replies by audit result', [
      { key: 'pass', label: 'pass', value: audit.pass, previous: (pt.audit || {}).pass, cls: 'pass' },
      { key: 'fail', label: 'needs attention', value: audit.fail, previous: (pt.audit || {}).fail, cls: 'fail' },
    ]), 'Pass rate ' + share(audit.pass_rate) + ' of ' + num(t.brand_replies) + ' brand replies.'));

  const bySource = (Array.isArray(d.by_source) ? d.by_source : []).map((x) => [x.source, x.totals]);
  const byBrand = (Array.isArray(d.by_brand) ? d.by_brand : []).map((x) => [x.brand, x.totals]);
  fill($('hf-source'), bySource.map((x) => x[0]));
  fill($('hf-brand'), byBrand.map((x) => x[0]));
  const tables = el('div', 'tables');
  const s1 = el('section', 'panel');
  s1.append(el('h2', null, 'Per source'), totalsTable('table-sources', 'Source', bySource));
  const s2 = el('section', 'panel');
  s2.append(el('h2', null, 'Per brand account'), totalsTable('table-brands', 'Brand', byBrand));
  const s3 = el('section', 'panel');
  s3.append(el('h2', null, 'Top complaint topics'));
  const topics = Array.isArray(d.topics) ? d.topics : [];
  if (!topics.length) {
    s3.append(el('p', 'muted', 'No topics in this period.'));
  } else {
    const tt = el('table', 'grid-table');
    tt.id = 'table-topics';
    const hr = el('tr');
    for (const c of ['Topic', 'Complaints', 'Before', 'Change']) hr.append(el('th', null, c));
    const th = el('thead');
    th.append(hr);
    const tb = el('tbody');
    for (const x of topics) {
      const tr = el('tr');
      const diff = (Number(x.count) || 0) - (Number(x.previous) || 0);
      tr.append(el('th', null, x.topic), el('td', 'num', num(x.count)), el('td', 'num', num(x.previous)),
        el('td', 'num ' + (diff > 0 ? 'bad' : diff < 0 ? 'good' : ''), (diff > 0 ? '+' : '') + diff));
      tb.append(tr);
    }
    tt.append(th, tb);
    s3.append(tt);
  }
  tables.append(s1, s2, s3);
  out.replaceChildren(head, kpis, charts, tables);
  out.dataset.loaded = d.from + '|' + d.to;
}

async function load() {
  const id = ++h.loading;
  const p = params();
  setExports(p);
  if (!p) {
    notice($('history-body'), 'Choose a start and an end.', 'error');
    return;
  }
  $('history-body').dataset.loaded = '';
  try {
    const d = await api.get('api/history?' + p.toString());
    if (id !== h.loading) return;
    h.data = d;
    render(d);
  } catch (e) {
    if (id === h.loading) notice($('history-body'), explain(e, 'History'), 'error');
  }
}

function toLocalInput(d) {
  const z = new Date(d.getTime() - d.getTimezoneOffset() * 60000);
  return z.toISOString().slice(0, 16);
}

export const historyScreen = {
  mount(ctx) {
    h.ctx = ctx;
    const now = new Date();
    $('hf-to').value = toLocalInput(now);
    $('hf-from').value = toLocalInput(new Date(now.getTime() - 7 * DAY));
    $('hf-period').addEventListener('change', () => {
      const custom = $('hf-period').value === 'custom';
      $('hf-custom').hidden = !custom;
      if (!custom) load();
    });
    for (const id of ['hf-step', 'hf-source', 'hf-brand']) $(id).addEventListener('change', load);
    $('hf-apply').addEventListener('click', load);
  },
  show(_, raw) {
    // A link may name the period: #/history/from=RFC3339&to=RFC3339
    // (and step, source, brand), as the digests send.
    const q = new URLSearchParams(raw || '');
    const from = new Date(q.get('from') || '');
    const to = new Date(q.get('to') || '');
    if (!Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime()) && from < to) {
      $('hf-period').value = 'custom';
      $('hf-custom').hidden = false;
      $('hf-from').value = toLocalInput(from);
      $('hf-to').value = toLocalInput(to);
    }
    const step = q.get('step');
    if (step && ['hour', 'day', 'week'].includes(step)) $('hf-step').value = step;
    for (const k of ['source', 'brand']) {
      const v = q.get(k);
      if (v) {
        fill($('hf-' + k), [v]);
        $('hf-' + k).value = v;
      }
    }
    load();
  },
};
