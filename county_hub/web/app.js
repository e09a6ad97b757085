// The county dashboard (county_hub/dashboard.h has the API it reads). Plain
// JavaScript, no framework, no build step. The page's state is in the URL
// hash: #p=PERIOD&org=ORG, so a view can be bookmarked and the back button
// walks back up the organisation tree.
'use strict';

const state = {
  period: '',
  org: '',       // '' = the county
  county: null,  // /api/orgs
  names: {},     // org id -> name
  sort: { column: null, descending: true },
  alerts: new Map(),  // id -> alert
  trend: null,
  loggedIn: false,
};

// ---- small helpers --------------------------------------------------------

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c !== null && c !== undefined) node.append(c);
  }
  return node;
}

function showError(message) {
  const box = $('#error');
  box.textContent = message;
  box.hidden = !message;
}

function toLogin() {
  const next = location.pathname + location.search + location.hash;
  location.href = '/login?next=' + encodeURIComponent(next);
}

// A JSON call of the API; throws Error(the server's Chinese message).
async function api(path, options = {}) {
  const init = { ...options, headers: { ...(options.headers || {}) } };
  if (init.method === 'POST') init.headers['X-Requested-With'] = 'sanji';
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Error('无法连接县级服务器，请检查网络后刷新');
  }
  if (response.status === 401) {
    toLogin();
    throw new Error('请先登录');
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    throw new Error((body && body.error) || ('服务器返回错误 ' + response.status));
  }
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  }
  return q.toString();
}

function levelOf(org) {
  if (!org || org.length === 6) return 'county';
  return org.length === 9 ? 'township' : 'village';
}

function scopeId() {
  return state.org || (state.county ? state.county.id : '');
}

function display(value) {
  return value === null || value === undefined ? '—' : value;
}

// ---- the period picker ----------------------------------------------------

const PARTS = {
  year: [],
  half: [['H1', '上半年'], ['H2', '下半年']],
  quarter: [['Q1', '第一季度'], ['Q2', '第二季度'], ['Q3', '第三季度'], ['Q4', '第四季度']],
  month: Array.from({ length: 12 }, (_, i) => {
    const m = String(i + 1).padStart(2, '0');
    return [m, (i + 1) + '月'];
  }),
};

function parsePeriod(p) {
  let m = /^(\d{4})$/.exec(p);
  if (m) return { kind: 'year', year: m[1], part: '' };
  m = /^(\d{4})-(H[12]|Q[1-4]|\d{2})$/.exec(p);
  if (!m) return null;
  const kind = m[2][0] === 'H' ? 'half' : m[2][0] === 'Q' ? 'quarter' : 'month';
  return { kind, year: m[1], part: m[2] };
}

function fillParts(kind, selected) {
  const part = $('#period-part');
  part.replaceChildren(...PARTS[kind].map(([v, label]) => el('option', { value: v, textContent: label })));
  part.hidden = kind === 'year';
  if (selected) part.value = selected;
}

function setupPicker() {
  const years = $('#period-year');
  const now = new Date().getFullYear();
  for (let y = now; y >= now - 6; y--) years.append(el('option', { value: String(y), textContent: y + '年' }));
  $('#period-kind').addEventListener('change', () => {
    fillParts($('#period-kind').value);
    pickerChanged();
  });
  years.addEventListener('change', pickerChanged);
  $('#period-part').addEventListener('change', pickerChanged);
}

function pickerChanged() {
  const kind = $('#period-kind').value;
  const year = $('#period-year').value;
  const period = kind === 'year' ? year : year + '-' + $('#period-part').value;
  navigate(period, state.org);
}

function showPeriodInPicker(period) {
  const p = parsePeriod(period);
  if (!p) return;
  const years = $('#period-year');
  if (![...years.options].some((o) => o.value === p.year)) {
    years.append(el('option', { value: p.year, textContent: p.year + '年' }));
  }
  $('#period-kind').value = p.kind;
  years.value = p.year;
  fillParts(p.kind, p.part);
}

// ---- navigation -------------------------------------------------------------

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  return { period: h.get('p') || String(new Date().getFullYear()), org: h.get('org') || '' };
}

function navigate(period, org) {
  const hash = '#' + query({ p: period, org });
  if (location.hash === hash) load();
  else location.hash = hash;  // hashchange loads
}

function renderCrumbs() {
  const crumbs = $('#crumbs');
  const chain = [];
  if (state.county) chain.push(state.county.id);
  if (state.org.length >= 9) chain.push(state.org.slice(0, 9));
  if (state.org.length === 12) chain.push(state.org);
  crumbs.replaceChildren();
  chain.forEach((id, i) => {
    if (i > 0) crumbs.append(el('span', { class: 'sep', textContent: '›' }));
    const name = state.names[id] || id;
    if (i === chain.length - 1) {
      crumbs.append(el('span', { class: 'here', textContent: name }));
    } else {
      crumbs.append(el('a', {
        href: '#' + query({ p: state.period, org: i === 0 ? '' : id }),
        textContent: name,
      }));
    }
  });
}

// ---- loading a view -----------------------------------------------------------

let loadSerial = 0;

async function load() {
  const { period, org } = readHash();
  state.period = period;
  state.org = org;
  showPeriodInPicker(period);
  const serial = ++loadSerial;
  $('#loading').hidden = false;
  showError('');
  try {
    // The table first (what the office looks at), then the slower parts, each drawn as it
    // comes: the trend is 12 monthly reports, the heat map 12 completeness reports.
    const year = period.slice(0, 4);
    const scope = { period, org };
    const [orgs, rows] = await Promise.all([
      api('/api/orgs?' + query({ period })),
      api('/api/report?' + query({ ...scope, level: 'village' })),
    ]);
    if (serial !== loadSerial) return;
    indexOrgs(orgs.county);
    renderCrumbs();
    renderReport(rows);
    renderDownloads();
    performance.mark('sanji-table-filled');
    const later = [
      api('/api/completeness?' + query(scope)).then((c) => serial === loadSerial && renderCompleteness(c)),
      api('/api/completeness/heatmap?' + query({ year, org })).then((h) => serial === loadSerial && renderHeatmap(h)),
      api('/api/trend?' + query({ year, org })).then((t) => {
        if (serial !== loadSerial) return;
        state.trend = t;
        renderTrend();
      }),
    ];
    await Promise.all(later);  // the first error is shown
    if (serial !== loadSerial) return;
    performance.mark('sanji-loaded');
    document.body.dataset.loaded = period + '|' + org;
  } catch (e) {
    if (serial === loadSerial) showError(e.message);
  } finally {
    if (serial === loadSerial) $('#loading').hidden = true;
  }
}

function indexOrgs(county) {
  state.county = county;
  state.names = { [county.id]: county.name || county.id };
  for (const t of county.townships) {
    state.names[t.id] = t.name || t.id;
    for (const v of t.villages) state.names[v.id] = v.name || v.id;
  }
  $('#county-name').textContent = state.names[county.id];
  document.title = state.names[county.id] + ' 基本公共卫生服务数据看板';
}

// ---- the report: headline and the organisation table --------------------------

const HEADLINE = [
  ['outpatient_visits'], ['inpatient_admissions'], ['infectious_disease_reports'],
  ['family_doctor_signed', 'family_doctor_sign_rate'],
  ['children_managed', 'child_management_rate'],
  ['pregnant_women_managed'],
  ['elderly_managed', 'elderly_management_rate'],
  ['hypertension_managed', 'hypertension_standardized_rate', 'hypertension_control_rate'],
  ['diabetes_managed', 'diabetes_standardized_rate', 'diabetes_control_rate'],
  ['smi_managed'], ['tb_managed'],
];

// Report rows (ReportEngine's JSON) as org id -> {indicator -> row}, and the
// columns in the order of the scope's own rows.
function pivot(rows) {
  const byOrg = new Map();
  const columns = [];
  const seen = new Set();
  for (const r of rows) {
    if (!byOrg.has(r.org_id)) byOrg.set(r.org_id, { id: r.org_id, name: r.org_name, level: r.level, values: {} });
    byOrg.get(r.org_id).values[r.indicator] = r.value;
    if (!seen.has(r.indicator)) {
      seen.add(r.indicator);
      columns.push({ code: r.indicator, name: r.name_zh });
    }
  }
  return { byOrg, columns };
}

function renderHeadline(scopeRow, columns) {
  const names = Object.fromEntries(columns.map((c) => [c.code, c.name]));
  const cards = $('#headline');
  cards.replaceChildren();
  for (const [main, ...rates] of HEADLINE) {
    if (!(main in scopeRow.values)) continue;
    const card = el('div', { class: 'card' },
      el('div', { class: 'card-name', textContent: names[main] }),
      el('div', { class: 'card-value', 'data-indicator': main, textContent: display(scopeRow.values[main]) }));
    for (const rate of rates) {
      if (!(rate in scopeRow.values)) continue;
      const v = scopeRow.values[rate];
      card.append(el('div', { class: 'card-rate' },
        names[rate] + ' ',
        el('b', { 'data-indicator': rate, textContent: v === null ? '—' : v + '%' })));
    }
    cards.append(card);
  }
}

function renderReport(rows) {
  const { byOrg, columns } = pivot(rows);
  state.report = { byOrg, columns };
  const scopeRow = byOrg.get(scopeId());
  if (!scopeRow) {
    showError('该机构在本统计期没有数据');
    return;
  }
  renderHeadline(scopeRow, columns);
  renderTable();
}

function compareBy(code, descending) {
  return (a, b) => {
    const x = a.values[code] === undefined || a.values[code] === null ? -Infinity : Number(a.values[code]);
    const y = b.values[code] === undefined || b.values[code] === null ? -Infinity : Number(b.values[code]);
    const d = descending ? y - x : x - y;
    return d || a.id.localeCompare(b.id);
  };
}

function sortedChildren(parentId, level) {
  const kids = [...state.report.byOrg.values()].filter(
    (o) => o.level === level && o.id.startsWith(parentId) && o.id !== parentId);
  const { column, descending } = state.sort;
  if (column) kids.sort(compareBy(column, descending));
  return kids;
}

function headerRow(columns) {
  const tr = el('tr', {}, el('th', { class: 'org-col', textContent: '机构' }));
  for (const c of columns) {
    const mark = state.sort.column === c.code ? (state.sort.descending ? ' ▼' : ' ▲') : '';
    tr.append(el('th', {
      'data-indicator': c.code, title: c.code + '（点击排序）', textContent: c.name + mark,
      onclick: () => {
        state.sort = { column: c.code, descending: state.sort.column === c.code ? !state.sort.descending : true };
        renderTable();
      },
    }));
  }
  return el('thead', {}, tr);
}

function orgRow(org, columns, kind) {
  const level = levelOf(org.id);
  const name = org.name || org.id;
  const label = org.id === scopeId()
    ? el('span', { textContent: name + '（合计）' })
    : el('a', { href: '#' + query({ p: state.period, org: org.id }), textContent: name });
  const tr = el('tr', { class: kind, 'data-org': org.id, 'data-level': level },
    el('th', { class: 'org-col', scope: 'row' }, label, el('span', { class: 'code', textContent: org.id })));
  for (const c of columns) {
    const v = c.code in org.values ? org.values[c.code] : (c.code.includes('.') ? '0' : null);
    tr.append(el('td', { 'data-indicator': c.code, textContent: display(v) }));
  }
  return tr;
}

function renderTable() {
  const { byOrg, columns } = state.report;
  const scope = byOrg.get(scopeId());
  const level = levelOf(state.org);
  const body = el('tbody');
  body.append(orgRow(scope, columns, 'total'));
  if (level === 'county') {
    for (const t of sortedChildren(scope.id, 'township')) {
      body.append(orgRow(t, columns, 'subtotal'));
      for (const v of sortedChildren(t.id, 'village')) body.append(orgRow(v, columns, 'leaf'));
    }
  } else if (level === 'township') {
    for (const v of sortedChildren(scope.id, 'village')) body.append(orgRow(v, columns, 'leaf'));
  }
  $('#org-table').replaceChildren(headerRow(columns), body);
  $('#table-caption').textContent = state.period + ' · ' + (state.names[scope.id] || scope.id) +
    (level === 'county' ? ' · 县 → 乡镇（小计） → 村' : level === 'township' ? ' · 乡镇 → 村' : '');
}

// ---- trend --------------------------------------------------------------------

let trendChart = null;

function renderTrend() {
  const trend = state.trend;
  const select = $('#trend-indicator');
  const chosen = select.value || 'outpatient_visits';
  select.replaceChildren(...trend.indicators.map((s) =>
    el('option', { value: s.indicator, textContent: s.name_zh })));
  select.value = trend.indicators.some((s) => s.indicator === chosen) ? chosen : trend.indicators[0].indicator;
  select.onchange = drawTrend;
  $('#trend-caption').textContent = trend.year + '年 · ' + (state.names[trend.org_id] || trend.org_id);
  drawTrend();
}

function drawTrend() {
  const trend = state.trend;
  const series = trend.indicators.find((s) => s.indicator === $('#trend-indicator').value);
  if (!trendChart) trendChart = echarts.init($('#trend-chart'));
  trendChart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    grid: { left: 60, right: 24, top: 30, bottom: 30 },
    xAxis: { type: 'category', data: trend.months.map((m) => Number(m.slice(5)) + '月') },
    yAxis: { type: 'value', name: series.name_zh, nameTextStyle: { align: 'left' } },
    series: [{
      name: series.name_zh, type: 'line', smooth: false, symbolSize: 7,
      areaStyle: { opacity: 0.12 }, itemStyle: { color: '#1769aa' },
      data: series.values.map((v) => (v === null ? null : Number(v))),
      label: { show: true, position: 'top', fontSize: 11 },
    }],
  }, true);
}

// ---- completeness -------------------------------------------------------------

function renderCompleteness(rows) {
  const head = el('tr', {}, ...['机构', '应报', '已报', '按时', '上报率', '及时率', '最近记录时间', '最近同步时间']
    .map((t, i) => el('th', { class: i ? '' : 'org-col', textContent: t })));
  const body = el('tbody');
  const scopeLevel = levelOf(state.org);
  for (const r of rows) {
    // The scope and the level below it (all villages of a county are in the heat map).
    if (scopeLevel === 'county' && r.level === 'village') continue;
    const late = r.reported > 0 && r.on_time < r.expected;
    const missing = r.reported < r.expected;
    body.append(el('tr', { class: r.org_id === scopeId() ? 'total' : '', 'data-org': r.org_id },
      el('th', { class: 'org-col', textContent: r.org_name || r.org_id }),
      el('td', { textContent: r.expected }),
      el('td', { class: missing ? 'warn' : '', textContent: r.reported }),
      el('td', { class: late ? 'warn' : '', textContent: r.on_time }),
      el('td', { textContent: r.reporting_rate === null ? '—' : r.reporting_rate + '%' }),
      el('td', { textContent: r.timely_rate === null ? '—' : r.timely_rate + '%' }),
      el('td', { textContent: display(r.last_record_at) }),
      el('td', { textContent: display(r.last_sync_at) })));
  }
  $('#completeness-table').replaceChildren(el('thead', {}, head), body);
  $('#completeness-caption').textContent = state.period;
}

let heatChart = null;
const HEAT_STATES = ['无需上报', '未上报', '逾期上报', '按时上报'];

function renderHeatmap(heat) {
  const box = $('#heatmap');
  const rowsShown = Math.min(heat.villages.length, 30);
  box.style.height = Math.max(160, rowsShown * 22 + 90) + 'px';
  if (!heatChart) heatChart = echarts.init(box);
  else heatChart.resize();
  const names = heat.villages.map((v) => v.name || v.id);
  const zoom = heat.villages.length > rowsShown
    ? [{ type: 'slider', yAxisIndex: 0, startValue: 0, endValue: rowsShown - 1, right: 8, width: 14 },
       { type: 'inside', yAxisIndex: 0 }]
    : [];
  heatChart.setOption({
    animation: false,
    tooltip: {
      // ECharts renders a tooltip as HTML: the names (from --orgs) are escaped.
      formatter: (p) => echarts.format.encodeHTML(names[p.value[1]]) + ' ' + (p.value[0] + 1) +
        '月：' + HEAT_STATES[p.value[2]],
    },
    grid: { left: 130, right: 40, top: 10, bottom: 60 },
    xAxis: { type: 'category', data: heat.months.map((m) => Number(m.slice(5)) + '月'), splitArea: { show: true } },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { fontSize: 11 } },
    visualMap: {
      type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 4, dimension: 2,
      pieces: HEAT_STATES.map((label, i) => ({ value: i, label })),
      inRange: { color: ['#eeeeee', '#d9534f', '#f0ad4e', '#4caf50'] },
    },
    dataZoom: zoom,
    series: [{
      type: 'heatmap',
      data: heat.cells.map(([v, m, s]) => [m, v, s]),
      itemStyle: { borderColor: '#fff', borderWidth: 1 },
    }],
  }, true);
  $('#heatmap-caption').textContent = heat.months[0].slice(0, 4) + '年 · ' + heat.villages.length + '个村';
}

// ---- alerts (live) --------------------------------------------------------------

const STATUS_ZH = { new: '待审核', reviewed: '已审核', withdrawn: '已撤回' };
const CLASS_ZH = { A: '甲类', B: '乙类', C: '丙类' };

function renderAlerts() {
  const list = [...state.alerts.values()].sort((a, b) =>
    b.occurred_at.localeCompare(a.occurred_at) || b.id - a.id);
  const head = el('tr', {}, ...['编号', '发病时间', '病种', '分类', '村卫生室', '性别', '年龄', '县级接收时间', '状态', '']
    .map((t) => el('th', { textContent: t })));
  const body = el('tbody');
  for (const a of list) {
    const cls = (CLASS_ZH[a.class] || a.class) + (a.class === 'B' && a.urgent ? '(按甲类管理)' : '');
    let action = null;
    if (a.status === 'new') {
      action = el('button', { class: 'review', 'data-id': String(a.id), textContent: '审核', onclick: () => review(a.id) });
    } else if (a.status === 'reviewed') {
      action = el('span', { class: 'muted', textContent: a.reviewed_by + ' ' + a.reviewed_at.slice(0, 16).replace('T', ' ') });
    }
    body.append(el('tr', { class: 'status-' + a.status + (a.urgent ? ' urgent' : ''), 'data-alert': String(a.id) },
      el('td', { textContent: '#' + a.id }),
      el('td', { textContent: a.occurred_at.replace('T', ' ').slice(0, 16) }),
      el('td', {}, a.disease_zh || a.disease, a.urgent ? el('span', { class: 'badge', textContent: '紧急' }) : null),
      el('td', { textContent: cls }),
      el('td', { textContent: (a.village_name || a.village_id) }),
      el('td', { textContent: a.sex === 'M' ? '男' : a.sex === 'F' ? '女' : '—' }),
      el('td', { textContent: a.age === null ? '—' : a.age + '岁' }),
      el('td', { textContent: a.received_at.replace('T', ' ').slice(0, 19) }),
      el('td', { class: 'state', textContent: STATUS_ZH[a.status] || a.status }),
      el('td', {}, action)));
  }
  if (!list.length) body.append(el('tr', {}, el('td', { colSpan: 10, class: 'muted', textContent: '暂无传染病个案' })));
  $('#alerts-table').replaceChildren(el('thead', {}, head), body);
}

async function review(id) {
  const reviewer = $('#reviewer').value.trim();
  if (!state.loggedIn && !reviewer) {
    showError('请先在“审核人”中填写您的姓名');
    $('#reviewer').focus();
    return;
  }
  localStorage.setItem('sanji.reviewer', reviewer);
  try {
    const a = await api('/api/alerts/review', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, by: reviewer }),
    });
    state.alerts.set(a.id, a);
    renderAlerts();
    showError('');
  } catch (e) {
    showError(e.message);
  }
}

function followAlerts() {
  const live = $('#alerts-live');
  const source = new EventSource('/api/alerts/stream');
  source.addEventListener('alert', (e) => {
    const a = JSON.parse(e.data);
    state.alerts.set(a.id, a);
    if (document.body.dataset.alertsCaughtUp) renderAlerts();
  });
  source.addEventListener('caught_up', () => {
    document.body.dataset.alertsCaughtUp = '1';
    live.textContent = '● 实时更新';
    live.className = 'live on';
    renderAlerts();
  });
  source.onerror = () => {
    live.textContent = '连接中断，正在重连…';
    live.className = 'live off';
  };
}

// ---- downloads -------------------------------------------------------------------

const DOWNLOADS = [
  ['report.xlsx', 'Excel 报表'], ['report.csv', 'CSV 报表'], ['report.md', 'Markdown 报表'],
  ['report.dhis2', 'DHIS2 JSON'], ['report.adx', 'ADX XML'], ['report.fhir', 'FHIR R4'],
  ['completeness.csv', '上报完整性 CSV'], ['summary.md', '工作总结草稿'],
];

function renderDownloads() {
  const box = $('#downloads');
  box.replaceChildren(...DOWNLOADS.map(([what, label]) => el('a', {
    class: 'button', download: '', 'data-download': what, textContent: label,
    href: '/api/download/' + what + '?' + query({ period: state.period, org: state.org, level: what.startsWith('report') ? 'village' : '' }),
  })));
}

// ---- start -------------------------------------------------------------------------

async function checkSession() {
  try {
    const response = await fetch('/api/session');
    if (response.ok) {
      const s = await response.json();
      if (s && s.user) {
        state.loggedIn = true;
        $('#reviewer-label').replaceChildren('审核人 ', el('b', { textContent: s.user }));
      }
    }
  } catch (e) {
    // No login on this address: reviewers type their names.
  }
}

function start() {
  setupPicker();
  $('#reviewer').value = localStorage.getItem('sanji.reviewer') || '';
  window.addEventListener('hashchange', load);
  window.addEventListener('resize', () => {
    if (trendChart) trendChart.resize();
    if (heatChart) heatChart.resize();
  });
  checkSession();
  followAlerts();
  load();
}

document.addEventListener('DOMContentLoaded', start);
