// A small SVG bar chart, accessible: the SVG is role="img" with an aria-label, and the same
// figures are in a visually hidden table for screen readers.
//
// barChart({title, series: [{label, value}], format?})            one bar per label
// barChart({title, series: [{label, values: [a, b]}], legend: ['raw', 'after'], format?})
import { h, s } from './dom.js';

const WIDTH = 560;
const BAR_AREA = 360;
const LABEL_WIDTH = 170;
const ROW = 26;

export function barChart({ title, series, legend = null, format = (v) => String(v), id = null }) {
  const rows = series.map((item) => ({
    label: String(item.label),
    values: Array.isArray(item.values) ? item.values : [item.value],
  }));
  const count = Math.max(1, ...rows.map((row) => row.values.length));
  const max = Math.max(0, ...rows.flatMap((row) => row.values.map((v) => Number(v) || 0))) || 1;
  const barHeight = Math.max(6, Math.floor((ROW - 6) / count));
  const rowHeight = barHeight * count + 8;
  const height = rows.length * rowHeight + 8;
  const summary = rows
    .map((row) => `${row.label}: ${row.values.map((v, i) => (legend ? `${legend[i]} ` : '') + format(v)).join(', ')}`)
    .join('; ');
  const svg = s(
    'svg',
    {
      role: 'img',
      'aria-label': `${title}. ${summary}`,
      viewBox: `0 0 ${WIDTH} ${height}`,
      width: '100%',
      class: 'bar-chart',
      focusable: 'false',
    },
    rows.map((row, r) => {
      const top = 4 + r * rowHeight;
      return s(
        'g',
        { 'aria-hidden': 'true' },
        s('text', { x: 0, y: top + rowHeight / 2, class: 'chart-label', 'dominant-baseline': 'middle' }, row.label),
        row.values.map((value, i) => {
          const width = Math.max(1, Math.round(((Number(value) || 0) / max) * (BAR_AREA - 60)));
          const y = top + i * barHeight;
          return [
            s('rect', { x: LABEL_WIDTH, y, width, height: barHeight - 2, class: `bar bar-${i}` }),
            s('text', { x: LABEL_WIDTH + width + 4, y: y + barHeight / 2, class: 'chart-value', 'dominant-baseline': 'middle' }, format(value)),
          ];
        }),
      );
    }),
  );
  const table = h(
    'table',
    { class: 'visually-hidden' },
    h('caption', null, title),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, ''), (legend || ['']).map((name) => h('th', { scope: 'col' }, name)))),
    h(
      'tbody',
      null,
      rows.map((row) => h('tr', null, h('th', { scope: 'row' }, row.label), row.values.map((v) => h('td', null, format(v))))),
    ),
  );
  const key = legend
    ? h('ul', { class: 'chart-legend', 'aria-hidden': 'true' }, legend.map((name, i) => h('li', null, h('span', { class: `swatch bar-${i}` }), name)))
    : null;
  return h('figure', { class: 'chart', id }, h('figcaption', null, title), svg, key, table);
}
