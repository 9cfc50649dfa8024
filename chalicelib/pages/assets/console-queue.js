// The queue: pending complaints, earliest deadline first, paged.
import { api, queryString } from './api.js';
import { announce, h, replace } from './dom.js';
import { formatTime, t } from './i18n.js';
import { outcomeTag, reasonText, scenarioName, timeLeft } from './console-common.js';

const PAGE_SIZE = 20;
const paging = { cursors: [null], index: 0 };

export async function renderQueue(context) {
  const { main, status, catalogue } = context;
  replace(main, h('p', null, t('loading')));
  const cursor = paging.cursors[paging.index];
  const page = await api('GET', `/review/queue${queryString({ limit: PAGE_SIZE, cursor })}`);
  const rows = page.items.map((item) => {
    const rec = item.recommendation;
    return h(
      'tr',
      { class: item.escalated_at ? 'escalated' : null },
      h('td', null, formatTime(item.due_at), h('br'), timeLeft(item.due_at)),
      h(
        'td',
        null,
        h(
          'a',
          { href: `#/complaint/${encodeURIComponent(item.complaint_id)}`, 'aria-label': t('queue.open', { id: item.complaint_id }) },
          item.complaint_id,
        ),
        h('br'),
        h('span', { class: 'muted' }, scenarioName(catalogue, item.scenario)),
      ),
      h('td', null, item.seller_id),
      h('td', null, rec ? [outcomeTag(rec.outcome), ' ', reasonText(catalogue, rec.reason_code, rec.reason)] : t('rec.none')),
      h(
        'td',
        null,
        item.escalated_at ? h('span', { class: 'tag escalated' }, t('queue.escalated')) : null,
        ' ',
        item.appeal ? h('span', { class: 'tag' }, t('queue.appeal')) : null,
      ),
    );
  });
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        disabled: paging.index === 0,
        onclick: () => {
          paging.index -= 1;
          renderQueue(context);
        },
      },
      t('queue.previous'),
    ),
    h('span', null, t('queue.page', { n: paging.index + 1 })),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        disabled: !page.next_cursor,
        onclick: () => {
          paging.cursors[paging.index + 1] = page.next_cursor;
          paging.index += 1;
          renderQueue(context);
        },
      },
      t('queue.next'),
    ),
    h('button', { type: 'button', class: 'secondary', onclick: () => renderQueue(context) }, t('queue.refresh')),
  );
  replace(
    main,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'queue-title' },
      h('h2', { id: 'queue-title' }, t('queue.title')),
      rows.length
        ? h(
            'table',
            null,
            h('caption', { class: 'visually-hidden' }, t('queue.title')),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['queue.deadline', 'queue.complaint', 'queue.seller', 'queue.recommendation', 'queue.flags'].map((key) =>
                  h('th', { scope: 'col' }, t(key)),
                ),
              ),
            ),
            h('tbody', null, rows),
          )
        : h('p', null, t('queue.empty')),
      pager,
    ),
  );
  announce(status, `${t('queue.title')}: ${page.items.length}`);
}
