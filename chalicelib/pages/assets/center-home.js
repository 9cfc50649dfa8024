// Home: 【我要投诉】, the records of the last 6 months (filters, paging) and the export.
import { api } from './api.js';
import { h } from './dom.js';
import { t, formatTime } from './i18n.js';
import { pick, statusBadge, errorBox, complaintLink } from './center-util.js';

const STATUSES = ['pending', 'upheld', 'rejected'];

// Filters and paging survive a visit to a complaint and a language switch.
const state = { filters: {}, cursors: [null], page: 0 };

function query(filters, cursor) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  params.set('limit', '20');
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

function field(id, label, control) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(name, options, current) {
  const control = h('select', { name });
  control.append(h('option', { value: '' }, t('home.filter.any')));
  for (const [value, text] of options) {
    const option = h('option', { value }, text);
    if (value === current) option.selected = true;
    control.append(option);
  }
  return control;
}

function filterForm(ctx, onApply) {
  const f = state.filters;
  const status = select('status', STATUSES.map((s) => [s, t(`status.${s}`)]), f.status);
  const scenario = select('scenario', ctx.scenarios.map((s) => [s.code, pick(s.name)]), f.scenario);
  const order = h('input', { type: 'text', name: 'order_id', autocomplete: 'off', value: f.order_id || '' });
  const from = h('input', { type: 'date', name: 'from', value: f.from || '' });
  const to = h('input', { type: 'date', name: 'to', value: f.to || '' });
  const form = h('form', { class: 'card filters', 'aria-label': t('home.filters') },
    field('filter-status', t('home.filter.status'), status),
    field('filter-scenario', t('home.filter.scenario'), scenario),
    field('filter-order', t('home.filter.order'), order),
    field('filter-from', t('home.filter.from'), from),
    field('filter-to', t('home.filter.to'), to),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, t('home.filter.apply')),
      h('button', { type: 'button', class: 'secondary', onclick: () => onApply({}) }, t('home.filter.reset'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply({
      status: status.value, scenario: scenario.value, order_id: order.value.trim(),
      from: from.value, to: to.value,
    });
  });
  return form;
}

/** The API's filters: dates are the viewer's days (local midnight, `to` inclusive). */
function apiFilters(filters) {
  const out = { ...filters };
  if (out.from) out.from = new Date(`${out.from}T00:00:00`).toISOString();
  if (out.to) {
    const next = new Date(`${out.to}T00:00:00`);
    next.setDate(next.getDate() + 1);
    out.to = next.toISOString();
  }
  return out;
}

function recordsTable(items) {
  if (!items.length) return h('p', { class: 'empty' }, t('home.empty'));
  const rows = items.map((c) => h('tr', {},
    h('td', {}, formatTime(c.submitted_at)),
    h('td', {}, pick(c.scenario_name) || c.scenario),
    h('td', {}, c.order_id),
    h('td', {}, statusBadge(c.status)),
    h('td', {}, c.status === 'pending' ? formatTime(c.due_at) : '—'),
    h('td', {}, h('a', { href: `#/complaints/${encodeURIComponent(c.complaint_id)}`,
      'aria-label': t('home.open_label', { id: c.complaint_id }) }, t('home.open')))));
  return h('table', { class: 'records' },
    h('caption', {}, t('home.table')),
    h('thead', {}, h('tr', {},
      ...['submitted', 'scenario', 'order', 'status', 'due', 'open'].map((c) => h('th', { scope: 'col' }, t(`home.col.${c}`))))),
    h('tbody', {}, ...rows));
}

function exportBox() {
  const format = h('select', { id: 'export-format', name: 'format' },
    h('option', { value: 'csv' }, t('home.export.csv')),
    h('option', { value: 'jsonl' }, t('home.export.jsonl')));
  const message = h('p', { role: 'status', class: 'export-message' });
  const button = h('button', { type: 'submit' }, t('home.export.button'));
  const form = h('form', { class: 'card export', 'aria-label': t('home.export') },
    h('h2', {}, t('home.export')),
    h('div', { class: 'field' }, h('label', { for: 'export-format' }, t('home.export.format')), format),
    button, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.textContent = t('home.export.working');
    try {
      const params = new URLSearchParams({ format: format.value, ...apiFilters(pickDates(state.filters)) });
      const result = await api('GET', `/complaints/export?${params}`);
      message.textContent = t('home.export.ready', { rows: result.rows });
      // A presigned GET answered as an attachment: the page stays where it is.
      window.location.assign(result.url);
    } catch (error) {
      message.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function pickDates(filters) {
  const out = {};
  if (filters.from) out.from = filters.from;
  if (filters.to) out.to = filters.to;
  return out;
}

export async function renderHome(root, ctx) {
  const list = h('div', { class: 'list', 'aria-live': 'polite' }, t('center.loading'));
  const pager = h('nav', { class: 'pager', 'aria-label': t('home.table') });

  async function load() {
    list.replaceChildren(t('center.loading'));
    pager.replaceChildren();
    let page;
    try {
      page = await api('GET', `/complaints?${query(apiFilters(state.filters), state.cursors[state.page])}`);
    } catch (error) {
      list.replaceChildren(errorBox(error));
      return;
    }
    list.replaceChildren(recordsTable(page.items));
    if (state.page > 0) {
      pager.append(h('button', { type: 'button', onclick: () => { state.page -= 1; load(); } }, t('home.previous')));
    }
    pager.append(h('span', { class: 'page-number' }, t('home.page', { n: state.page + 1 })));
    if (page.next_cursor) {
      pager.append(h('button', { type: 'button', onclick: () => {
        state.cursors[state.page + 1] = page.next_cursor;
        state.page += 1;
        load();
      } }, t('home.next')));
    }
  }

  function apply(filters) {
    state.filters = filters;
    state.cursors = [null];
    state.page = 0;
    ctx.rerender();
  }

  root.replaceChildren(
    h('div', { class: 'home-head' },
      h('h1', {}, t('home.heading')),
      h('a', { href: '#/file', class: 'button' }, t('home.file_button'))),
    filterForm(ctx, apply),
    list,
    pager,
    exportBox());
  await load();
}

export { complaintLink };
