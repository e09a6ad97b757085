// The clinic page (village_agent/clinic_page.h has the API it calls).
// Vanilla JS, no build step. The agent is the validator: the page only lays
// out one form per kind, sends what was typed, and shows each refusal at its
// field, in the words the agent gives (message_zh).
'use strict';

// What each kind needs beyond record_id, kind and occurred_at (and patient_id,
// sex, birth_date for person kinds), from spec/records.md "Columns".
const KIND_FIELDS = {
  outpatient_visit: ['cost_yuan', 'icd10'],
  inpatient_admission: ['cost_yuan', 'icd10'],
  vaccination: ['vaccine', 'dose'],
  hypertension_followup: ['systolic', 'diastolic'],
  diabetes_followup: ['fasting_glucose'],
  infectious_disease_report: ['disease', 'icd10'],
  death_report: ['icd10'],
  referral: ['referred_to', 'icd10'],
  health_education: ['participants'],
};
const OPTIONAL = new Set(['icd10']);

// How each column is typed in.
const INPUTS = {
  record_id: {type: 'text', maxlength: 64},
  occurred_at: {type: 'datetime-local'},
  patient_id: {type: 'text', maxlength: 64, placeholder: '健康档案编号, 不是身份证号'},
  sex: {select: [['', '请选择'], ['M', '男'], ['F', '女']]},
  birth_date: {type: 'date'},
  cost_yuan: {type: 'text', inputmode: 'decimal', unit: '元', placeholder: '如 35.50'},
  icd10: {type: 'text', maxlength: 32, placeholder: '可不填, 如 I10'},
  vaccine: {type: 'text', list: 'vaccines', placeholder: '如 HepB'},
  dose: {type: 'text', inputmode: 'numeric', unit: '剂'},
  systolic: {type: 'text', inputmode: 'numeric', unit: 'mmHg'},
  diastolic: {type: 'text', inputmode: 'numeric', unit: 'mmHg'},
  fasting_glucose: {type: 'text', inputmode: 'decimal', unit: 'mmol/L'},
  disease: {select: 'diseases'},
  participants: {type: 'text', inputmode: 'numeric', unit: '人'},
  referred_to: {select: 'referral_targets'},
};
const VACCINES = ['HepB', 'BCG', 'IPV', 'bOPV', 'DTaP', 'DT', 'MMR', 'JE', 'MPSV-A', 'MPSV-AC',
                  'HepA', 'Varicella'];

const state = {vocabulary: null, kindNames: {}, columnNames: {}, sequence: 0};

function $(selector, root) { return (root || document).querySelector(selector); }

function element(tag, attributes, children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value);
  }
  for (const child of children || []) el.append(child);
  return el;
}

async function api(path, options) {
  const request = Object.assign({headers: {}}, options || {});
  if (request.method && request.method !== 'GET') {
    request.headers['X-Requested-With'] = 'sanji';
  }
  const response = await fetch(path, request);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return {status: response.status, body: body};
}

// ---------------------------------------------------------------------------
// Forms, one per kind.

// Now in the clinic's local time (Asia/Shanghai, as occurred_at is), whatever
// the PC's time zone: "YYYY-MM-DD HH:MM:SS".
function shanghaiNow() {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false}).format(new Date());
}

// A fresh record_id: web-YYYYMMDD-HHMMSS-xxxxN (1-64 of [A-Za-z0-9._:-]).
function newRecordId() {
  state.sequence += 1;
  const digits = shanghaiNow().replace(/[^0-9 ]/g, '').replace(' ', '-');
  return 'web-' + digits + '-' + Math.random().toString(36).slice(2, 6) + state.sequence;
}

// YYYY-MM-DDTHH:MM for a datetime-local input.
function nowLocalMinute() {
  return shanghaiNow().slice(0, 16).replace(' ', 'T');
}

function optionsFor(spec) {
  if (Array.isArray(spec)) return spec;
  const items = state.vocabulary[spec] || [];
  const options = [['', '请选择']];
  for (const item of items) {
    let label = item.name_zh;
    if (item.class) label += ' (' + item.class + '类' + (item.urgent ? ', 紧急' : '') + ')';
    options.push([item.code, label]);
  }
  return options;
}

function fieldRow(kind, column, required) {
  const spec = INPUTS[column] || {type: 'text'};
  const id = kind + '-' + column;
  let input;
  if (spec.select) {
    input = element('select', {id: id, name: column});
    for (const [value, label] of optionsFor(spec.select)) {
      input.append(element('option', {value: value, text: label}));
    }
  } else {
    input = element('input', {id: id, name: column, type: spec.type, maxlength: spec.maxlength,
                              inputmode: spec.inputmode, placeholder: spec.placeholder,
                              list: spec.list, autocomplete: 'off'});
  }
  const label = element('label', {for: id, text: state.columnNames[column] || column});
  if (required) label.append(element('span', {class: 'required', text: ' *'}));
  const control = element('div', {class: 'control'}, [input]);
  if (spec.unit) control.append(element('span', {class: 'unit', text: spec.unit}));
  return element('div', {class: 'field', 'data-field': column}, [
    label, control, element('div', {class: 'field-error', id: id + '-error', hidden: ''})]);
}

function buildForm(kind) {
  const form = element('form', {id: 'form-' + kind.code, class: 'record-form',
                                'data-kind': kind.code, novalidate: '', hidden: ''});
  const columns = ['record_id', 'occurred_at'];
  if (kind.person) columns.push('patient_id', 'sex', 'birth_date');
  columns.push(...(KIND_FIELDS[kind.code] || []));
  const grid = element('div', {class: 'grid'});
  for (const column of columns) {
    grid.append(fieldRow(kind.code, column, !OPTIONAL.has(column)));
  }
  form.append(
      element('h2', {text: kind.name_zh}), grid,
      element('div', {class: 'form-error', hidden: ''}),
      element('div', {class: 'actions'}, [
        element('button', {type: 'submit', class: 'primary', text: '保存'}),
        element('button', {type: 'reset', text: '清空'})]));
  form.addEventListener('submit', (event) => { event.preventDefault(); submitRecord(form); });
  form.addEventListener('reset', () => setTimeout(() => prepareForm(form), 0));
  return form;
}

function prepareForm(form) {
  clearErrors(form);
  form.elements.record_id.value = newRecordId();
  if (!form.elements.occurred_at.value) form.elements.occurred_at.value = nowLocalMinute();
}

function showKind(code) {
  for (const form of document.querySelectorAll('.record-form')) {
    form.hidden = form.dataset.kind !== code;
  }
  const form = $('#form-' + code);
  if (form && !form.elements.record_id.value) prepareForm(form);
  $('#entry-message').hidden = true;
}

function buildForms() {
  const picker = $('#kind');
  const forms = $('#forms');
  const datalist = element('datalist', {id: 'vaccines'});
  for (const v of VACCINES) datalist.append(element('option', {value: v}));
  forms.append(datalist);
  for (const kind of state.vocabulary.kinds) {
    state.kindNames[kind.code] = kind.name_zh;
    picker.append(element('option', {value: kind.code, text: kind.name_zh}));
    forms.append(buildForm(kind));
  }
  picker.addEventListener('change', () => showKind(picker.value));
  showKind(picker.value);
}

// ---------------------------------------------------------------------------
// Sending a record and showing the outcome.

function clearErrors(form) {
  for (const field of form.querySelectorAll('.field')) field.classList.remove('invalid');
  for (const box of form.querySelectorAll('.field-error, .form-error')) {
    box.hidden = true;
    box.textContent = '';
  }
}

function showErrors(form, errors) {
  for (const error of errors) {
    const field = error.field ? form.querySelector('.field[data-field="' + error.field + '"]') : null;
    const box = field ? field.querySelector('.field-error') : form.querySelector('.form-error');
    if (field) field.classList.add('invalid');
    box.textContent = (field ? '' : (error.field_zh ? error.field_zh + ': ' : '')) + error.message_zh;
    box.title = error.message;
    box.hidden = false;
  }
  const first = form.querySelector('.field.invalid input, .field.invalid select');
  if (first) first.focus();
}

function recordOf(form) {
  const record = {kind: form.dataset.kind};
  for (const input of form.querySelectorAll('input[name], select[name]')) {
    const value = input.value.trim();
    if (value !== '') record[input.name] = value;
  }
  return record;
}

function addRecent(record, result) {
  const names = {accepted: '已保存', duplicate: '重复, 未再保存', rejected: '有误, 未保存'};
  const row = element('tr', {class: 'result-' + result}, [
    element('td', {text: shanghaiNow().slice(11)}),
    element('td', {text: record.record_id || ''}),
    element('td', {text: state.kindNames[record.kind] || record.kind}),
    element('td', {class: 'result', text: names[result] || result})]);
  $('#recent tbody').prepend(row);
}

function showMessage(box, kind, text) {
  box.className = 'message message-' + kind;
  box.textContent = text;
  box.hidden = false;
}

async function submitRecord(form) {
  clearErrors(form);
  const record = recordOf(form);
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  let answer;
  try {
    answer = await api('/api/records', {
      method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(record)});
  } catch (e) {
    answer = {status: 0, body: null};
  } finally {
    button.disabled = false;
  }
  const box = $('#entry-message');
  const body = answer.body || {};
  if (body.result === 'accepted' || body.result === 'duplicate') {
    showMessage(box, body.result === 'accepted' ? 'ok' : 'warn',
                body.message_zh + ' (记录编号 ' + record.record_id + ')');
    addRecent(record, body.result);
    // Ready for the next one: same time of day, everything else empty.
    for (const input of form.querySelectorAll('input[name], select[name]')) {
      if (input.name !== 'occurred_at') input.value = '';
    }
    prepareForm(form);
    refreshStatus();
  } else if (body.result === 'rejected') {
    showMessage(box, 'error', body.message_zh + ': 请按红色提示修改后再保存');
    showErrors(form, body.errors || []);
    addRecent(record, 'rejected');
  } else {
    showMessage(box, 'error', body.error || '无法连接本机的村卫生室代理程序, 记录没有保存');
  }
}

// ---------------------------------------------------------------------------
// Uploading a file.

function showUploadResult(result) {
  const box = $('#upload-message');
  const summary = '文件 ' + result.file + ': 已保存 ' + result.accepted + ' 条, 重复 ' +
      result.duplicate + ' 条, 有误 ' + result.rejected + ' 条';
  let text = summary;
  if (result.unknown_columns && result.unknown_columns.length) {
    text += '; 已忽略未知的栏目: ' + result.unknown_columns.join(', ');
  }
  if (result.error) text += '; ' + result.error;
  showMessage(box, result.error ? 'error' : (result.rejected ? 'warn' : 'ok'), text);
  const table = $('#upload-errors');
  const tbody = $('tbody', table);
  tbody.textContent = '';
  for (const error of result.errors || []) {
    tbody.append(element('tr', {}, [
      element('td', {class: 'line', text: String(error.line || '')}),
      element('td', {text: error.field ? error.field_zh + ' (' + error.field + ')' : '整行'}),
      element('td', {class: 'reason', text: error.message_zh}),
      element('td', {class: 'english', text: error.message})]));
  }
  table.hidden = !(result.errors && result.errors.length);
}

function upload() {
  const file = $('#file').files[0];
  const box = $('#upload-message');
  if (!file) {
    showMessage(box, 'error', '请先选择文件');
    return;
  }
  const progress = $('#upload-progress');
  const percent = $('#upload-percent');
  progress.value = 0;
  percent.textContent = '0%';
  $('#upload-errors').hidden = true;
  showMessage(box, 'info', '正在上传 ' + file.name + ' …');
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/files?name=' + encodeURIComponent(file.name) +
           '&encoding=' + encodeURIComponent($('#encoding').value));
  xhr.setRequestHeader('X-Requested-With', 'sanji');
  xhr.setRequestHeader('Content-Type', 'application/octet-stream');
  xhr.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    progress.value = Math.round(100 * event.loaded / event.total);
    percent.textContent = progress.value + '%';
  });
  xhr.addEventListener('load', () => {
    progress.value = 100;
    percent.textContent = '100%';
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (body && body.file !== undefined) showUploadResult(body);
    else showMessage(box, 'error', (body && body.error) || '上传失败 (' + xhr.status + ')');
    $('#upload').disabled = false;
    refreshStatus();
  });
  xhr.addEventListener('error', () => {
    showMessage(box, 'error', '无法连接本机的村卫生室代理程序, 文件没有上传');
    $('#upload').disabled = false;
  });
  $('#upload').disabled = true;
  xhr.send(file);
}

// ---------------------------------------------------------------------------
// Status line.

async function refreshStatus() {
  const line = $('#status');
  let answer;
  try {
    answer = await api('/api/status');
  } catch (e) {
    answer = {status: 0, body: null};
  }
  const body = answer.body;
  if (!body || !body.status) {
    line.className = 'status status-unreachable';
    $('#status-text').textContent = '无法连接本机的村卫生室代理程序 (village_agent 是否在运行?)';
    $('#status-detail').textContent = '';
    return;
  }
  line.className = 'status status-' + body.state;
  line.dataset.state = body.state;
  $('#status-text').textContent = body.summary_zh;
  const s = body.status;
  $('#status-detail').textContent = '村代码 ' + s.village_id + ' · 已录入 ' + s.last_seq + ' 条';
  line.title = s.last_error || '';
}

function setupTabs() {
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => {
      for (const other of document.querySelectorAll('.tab')) {
        other.classList.toggle('active', other === tab);
        document.getElementById(other.dataset.panel).hidden = other !== tab;
      }
    });
  }
}

async function start() {
  setupTabs();
  $('#upload').addEventListener('click', upload);
  refreshStatus();
  setInterval(refreshStatus, 3000);
  const answer = await api('/api/vocabulary');
  state.vocabulary = answer.body;
  for (const c of state.vocabulary.columns) state.columnNames[c.column] = c.name_zh;
  buildForms();
  document.body.dataset.ready = 'yes';
}

document.addEventListener('DOMContentLoaded', start);
