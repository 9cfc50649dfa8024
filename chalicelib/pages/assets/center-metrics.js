// Metrics: each metric raw and after exemptions, as a chart, and the exemptions that
// changed it (GET /metrics: the newest; GET /metrics/exemptions: older ones, on request).
import { api } from './api.js';
import { h } from './dom.js';
import { t, formatTime } from './i18n.js';
import { pick, errorBox, metricName, percent, complaintLink, tOr } from './center-util.js';
import { barChart } from './chart.js';

function figure(f) {
  return t('metrics.figure', { value: percent(f.value), num: f.numerator, den: f.denominator });
}

function metricCard(code, m, exemptions) {
  const name = metricName(code, m.name);
  const changed = exemptions.filter((e) => (e.metrics || []).some((x) => x.metric === code && x.before !== x.after));
  return h('section', { class: 'card metric', 'aria-labelledby': `metric-${code}` },
    h('h2', { id: `metric-${code}` }, name),
    h('p', { class: 'hint' }, t('metrics.window', {
      days: m.window_days, from: formatTime(m.window.from), to: formatTime(m.window.to) })),
    h('dl', { class: 'facts' },
      h('dt', {}, t('metrics.raw')), h('dd', {}, figure(m.raw)),
      h('dt', {}, t('metrics.after')), h('dd', {}, figure(m.after_exemptions))),

    changed.length ? h('p', {}, t('metrics.changed_by'), ' ',
      ...changed.flatMap((e, i) => [i ? ', ' : '', complaintLink(e.complaint_id)])) : null);
}

/** The exemption log: the newest entries GET /metrics shows, and a button that appends
 * the next page (GET /metrics/exemptions) while older ones follow. */
function exemptionTable(ctx, exemptions, cursor) {
  if (!exemptions.length) return h('p', {}, t('metrics.no_exemptions'));
  const scenarioName = (code) => {
    const s = ctx.scenarios.find((x) => x.code === code);
    return s ? pick(s.name) : code;
  };
  const row = (e) => h('tr', {},
    h('td', {}, complaintLink(e.complaint_id)),
    h('td', {}, scenarioName(e.scenario)),
    h('td', {}, e.order_id),
    h('td', {}, formatTime(e.effective_at)),
    h('td', {}, h('ul', {}, ...(e.metrics || []).map((m) => h('li', {},
      `${metricName(m.metric)}: ${percent(m.before)} → ${percent(m.after)}`)))));
  const rows = h('tbody', {}, ...exemptions.map(row));
  const more = h('div', {});

  function showMore(next) {
    more.replaceChildren();
    if (next) {
      more.append(h('button', { type: 'button', class: 'secondary',
        onclick: (event) => {
          event.currentTarget.disabled = true; // one request per page, however many clicks
          loadMore(next);
        } }, t('metrics.more_exemptions')));
    }
  }

  async function loadMore(next) {
    const params = new URLSearchParams({ limit: '50', cursor: next });
    let page;
    try {
      page = await api('GET', `/metrics/exemptions?${params}`);
    } catch (error) {
      more.replaceChildren(errorBox(error));
      return;
    }
    rows.append(...page.items.map(row));
    showMore(page.next_cursor);
  }

  showMore(cursor);
  return h('div', {},
    h('table', { class: 'exemptions' },
      h('caption', {}, t('metrics.exemptions')),
      h('thead', {}, h('tr', {},
        ...['complaint', 'scenario', 'order', 'effective', 'changes'].map((c) => h('th', { scope: 'col' }, t(`metrics.col.${c}`))))),
      rows),
    more);
}

/** One chart: every metric, raw and after exemptions, as percentages. */
function overview(metrics) {
  const value = (f) => (f.value === null ? 0 : Math.round(f.value * 10000) / 100);
  return h('section', { class: 'card' }, barChart({
    title: t('metrics.chart_all'),
    id: 'metrics-chart',
    legend: [t('metrics.raw'), t('metrics.after')],
    series: Object.entries(metrics).map(([code, m]) => ({
      label: metricName(code, m.name),
      values: [value(m.raw), value(m.after_exemptions)],
    })),
    format: (v) => `${v}%`,
  }));
}

export async function renderMetrics(root, ctx) {
  root.replaceChildren(h('h1', {}, t('metrics.heading')), h('p', {}, t('center.loading')));
  let data;
  try {
    data = await api('GET', '/metrics');
  } catch (error) {
    root.replaceChildren(h('h1', {}, t('metrics.heading')), errorBox(error));
    return;
  }
  const exemptions = data.exemptions || [];
  root.replaceChildren(
    h('h1', {}, t('metrics.heading')),
    h('p', { class: 'hint' }, t('metrics.as_of', { at: formatTime(data.as_of) })),
    overview(data.metrics),
    h('div', { class: 'grid' },
      ...Object.entries(data.metrics).map(([code, m]) => metricCard(code, m, exemptions))),
    h('section', { class: 'card exemption-log' }, h('h2', {}, tOr('metrics.exemptions', 'Exemptions')),
      exemptionTable(ctx, exemptions, data.exemptions_next_cursor)));
}
