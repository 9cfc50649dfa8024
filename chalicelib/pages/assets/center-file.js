// Filing: pick an order (GET /orders, paged), see per scenario whether it may be filed and
// why not (GET /orders/{id}/eligibility), sub-reason, description, files -> POST /complaints,
// then each file announced, uploaded with progress and verified.
import { api } from './api.js';
import { h } from './dom.js';
import { t, formatTime, errorText } from './i18n.js';
import { pick, errorBox, complaintLink } from './center-util.js';
import { uploadList, refusal, ALLOWED_TYPES, MAX_MB } from './center-upload.js';

function orderLabel(order) {
  return t('file.order_option', {
    order: order.order_id,
    buyer: order.buyer_id,
    status: t(`file.order_status.${order.status}`),
    placed: formatTime(order.placed_at),
  });
}

function radio(name, value, id, label, extra = {}) {
  const input = h('input', { type: 'radio', name, value, id, ...extra });
  return { input, row: h('div', { class: 'choice' }, input, h('label', { for: id }, label)) };
}

export async function renderFile(root, ctx) {
  const chosen = { order: null, scenario: null, subReason: null, eligibility: null };
  const message = h('div', { class: 'form-message', 'aria-live': 'polite' });

  // 1. Orders
  const orderList = h('div', { class: 'choices' });
  const moreOrders = h('div', {});
  const orderSet = h('fieldset', { class: 'orders' },
    h('legend', {}, t('file.orders')), orderList, moreOrders);

  // 2. Scenarios
  const scenarioBox = h('div', { class: 'scenarios', 'aria-live': 'polite' }, t('file.pick_order_first'));

  // 3. Details
  const description = h('textarea', { id: 'file-description', name: 'description', rows: '5',
    maxlength: '2000', required: '', 'aria-describedby': 'file-description-hint' });
  const files = h('input', { id: 'file-files', type: 'file', name: 'files', multiple: '',
    accept: ALLOWED_TYPES.join(','), 'aria-describedby': 'file-files-hint' });
  const fileProblems = h('div', { 'aria-live': 'polite' });
  files.addEventListener('change', () => {
    fileProblems.replaceChildren(...[...files.files].map((f) => {
      const why = refusal(f);
      return why ? h('p', { class: 'error' }, `${f.name}: ${why}`) : null;
    }).filter(Boolean));
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('file.submit'));
  const uploads = uploadList();

  async function loadOrders(cursor) {
    const params = new URLSearchParams({ limit: '10' });
    if (cursor) params.set('cursor', cursor);
    let page;
    try {
      page = await api('GET', `/orders?${params}`);
    } catch (error) {
      orderList.append(errorBox(error));
      return;
    }
    if (!cursor && !page.items.length) orderList.append(h('p', {}, t('file.no_orders')));
    for (const order of page.items) {
      const { input, row } = radio('order', order.order_id, `order-${order.order_id}`, orderLabel(order));
      input.addEventListener('change', () => pickOrder(order));
      orderList.append(row);
    }
    moreOrders.replaceChildren();
    if (page.next_cursor) {
      moreOrders.append(h('button', { type: 'button', class: 'secondary',
        onclick: () => loadOrders(page.next_cursor) }, t('file.more_orders')));
    }
  }

  async function pickOrder(order) {
    chosen.order = order;
    chosen.scenario = null;
    chosen.subReason = null;
    scenarioBox.replaceChildren(t('file.checking'));
    let answer;
    try {
      answer = await api('GET', `/orders/${encodeURIComponent(order.order_id)}/eligibility`);
    } catch (error) {
      scenarioBox.replaceChildren(errorBox(error));
      return;
    }
    if (chosen.order !== order) return; // another order was picked meanwhile
    chosen.eligibility = answer;
    scenarioBox.replaceChildren(scenarioSet(answer));
  }

  function subReasonSet(scenario) {
    const set = h('fieldset', { class: 'sub-reasons' }, h('legend', {}, t('file.sub_reason')));
    for (const sub of scenario.sub_reasons) {
      const id = `sub-${scenario.scenario}-${sub.code}`;
      const { input, row } = radio('sub_reason', sub.code, id, pick(sub.name),
        sub.eligible ? {} : { disabled: '', 'aria-describedby': `${id}-why` });
      input.addEventListener('change', () => { chosen.subReason = sub.code; });
      if (!sub.eligible) row.append(h('p', { id: `${id}-why`, class: 'why-not' }, t('file.not_eligible', { reason: pick(sub.reason) })));
      set.append(row);
    }
    return set;
  }

  function scenarioSet(answer) {
    const set = h('fieldset', { class: 'scenario-choices' }, h('legend', {}, t('file.scenarios')));
    const subBox = h('div', {});
    for (const s of answer.scenarios) {
      const id = `scenario-${s.scenario}`;
      const open = s.eligible && !s.complaint_id;
      const { input, row } = radio('scenario', s.scenario, id, pick(s.scenario_name),
        open ? {} : { disabled: '', 'aria-describedby': `${id}-why` });
      input.addEventListener('change', () => {
        chosen.scenario = s;
        chosen.subReason = null;
        subBox.replaceChildren(...(s.sub_reasons.length ? [subReasonSet(s)] : []));
      });
      if (s.complaint_id) {
        row.append(h('p', { id: `${id}-why`, class: 'why-not' }, t('file.already_filed'), ' ',
          complaintLink(s.complaint_id, t('file.view_existing'))));
      } else if (!s.eligible) {
        row.append(h('p', { id: `${id}-why`, class: 'why-not' }, t('file.not_eligible', { reason: pick(s.reason) })));
      }
      set.append(row);
    }
    return h('div', {}, set, subBox);
  }

  function refuse(key) {
    message.replaceChildren(h('p', { class: 'error', role: 'alert' }, t(key)));
  }

  const form = h('form', { class: 'file-form', novalidate: '' },
    h('section', { class: 'card' }, h('h2', {}, t('file.step.order')), orderSet),
    h('section', { class: 'card' }, h('h2', {}, t('file.step.scenario')), scenarioBox),
    h('section', { class: 'card' }, h('h2', {}, t('file.step.details')),
      h('div', { class: 'field' },
        h('label', { for: 'file-description' }, t('file.description')),
        h('p', { id: 'file-description-hint', class: 'hint' }, t('file.description_hint')),
        description),
      h('div', { class: 'field' },
        h('label', { for: 'file-files' }, t('file.files')),
        h('p', { id: 'file-files-hint', class: 'hint' }, t('file.files_hint', { mb: MAX_MB })),
        files, fileProblems)),
    submit, message, uploads.element);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!chosen.order) return refuse('file.pick_order_first');
    if (!chosen.scenario) return refuse('file.pick_scenario');
    if (chosen.scenario.sub_reasons.length && !chosen.subReason) return refuse('file.pick_sub_reason');
    const text = description.value.trim();
    if (!text) {
      description.focus();
      return refuse('file.need_description');
    }
    submit.disabled = true;
    message.replaceChildren(h('p', { role: 'status' }, t('file.submitting')));
    const body = { order_id: chosen.order.order_id, scenario: chosen.scenario.scenario, description: text };
    if (chosen.subReason) body.reason = chosen.subReason;
    let complaint;
    try {
      complaint = await api('POST', '/complaints', body);
    } catch (error) {
      submit.disabled = false;
      const existing = error.details && error.details.complaint_id;
      if (error.status === 409 && existing) {
        message.replaceChildren(h('div', { class: 'error', role: 'alert' }, t('file.duplicate'), ' ',
          complaintLink(existing, t('file.view_existing'))));
      } else {
        message.replaceChildren(h('div', { class: 'error', role: 'alert' }, errorText(error)));
      }
      return;
    }
    const link = complaintLink(complaint.complaint_id, t('file.go_to_complaint'));
    message.replaceChildren(h('p', { role: 'status', class: 'notice' }, t('file.submitted'), ' ', link));
    const picked = [...files.files];
    if (picked.length) {
      const failed = await uploads.run(complaint.complaint_id, picked);
      message.append(h('p', { role: 'status', class: failed ? 'error' : 'notice' },
        t(failed ? 'file.uploads_failed' : 'file.uploads_done')));
    }
    link.focus();
  });

  root.replaceChildren(h('h1', {}, t('file.heading')), form);
  await loadOrders(null);
}
