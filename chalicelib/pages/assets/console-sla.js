// SLA figures (GET /review/sla) with charts.
import { api, queryString } from './api.js';
import { barChart } from './chart.js';
import { h, replace } from './dom.js';
import { formatNumber, t } from './i18n.js';

let windowDays = 30;

export async function renderSla(context) {
  const { main } = context;
  replace(main, h('p', null, t('loading')));
  const sla = await api('GET', `/review/sla${queryString({ window_days: windowDays })}`);
  const stat = (key, n) => h('li', null, h('strong', null, formatNumber(n, 0)), t(key));
  const hours = sla.hours_to_decision;
  const daysInput = h('input', { id: 'sla-days', type: 'number', min: 1, max: 90, value: windowDays });
  const form = h(
    'form',
    {
      class: 'fields-inline',
      onsubmit: (event) => {
        event.preventDefault();
        const n = Number(daysInput.value);
        if (Number.isInteger(n) && n >= 1 && n <= 90) windowDays = n;
        renderSla(context);
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'sla-days' }, t('sla.window')), daysInput),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('sla.apply'))),
  );
  replace(
    main,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'sla-title' },
      h('h2', { id: 'sla-title' }, t('sla.title', { days: sla.window_days })),
      form,
      h(
        'ul',
        { class: 'stat-list' },
        stat('sla.pending', sla.pending),
        stat('sla.escalated', sla.escalated),
        stat('sla.decided', sla.decided),
        stat('sla.breaches', sla.breaches.total),
      ),
      h(
        'div',
        { class: 'grid' },
        barChart({
          title: t('sla.byChart'),
          series: ['operator', 'rules', 'sla'].map((who) => ({ label: t(`sla.by.${who}`), value: sla.decisions_by[who] || 0 })),
          format: (v) => formatNumber(v, 0),
          id: 'sla-by-chart',
        }),
        barChart({
          title: t('sla.hoursChart'),
          series: ['p50', 'p95', 'max'].map((key) => ({ label: key, value: hours[key] === null ? 0 : hours[key] })),
          format: (v) => formatNumber(v, 1),
          id: 'sla-hours-chart',
        }),
        barChart({
          title: t('sla.countsChart'),
          series: [
            { label: t('sla.pending'), value: sla.pending },
            { label: t('sla.escalated'), value: sla.escalated },
            { label: t('sla.decidedLate'), value: sla.breaches.decided_late },
            { label: t('sla.pendingOverdue'), value: sla.breaches.pending_overdue },
          ],
          format: (v) => formatNumber(v, 0),
          id: 'sla-counts-chart',
        }),
      ),
    ),
  );
}
