// One complaint: summary, deadline and time left, decision with its criteria (unmet ones
// marked), attachments (download via a presigned GET), exemption before/after, appeal and
// the history as a timeline.
import { api } from './api.js';
import { h } from './dom.js';
import { t, formatTime } from './i18n.js';
import {
  pick, tOr, statusBadge, errorBox, facts, timeLeft, fileSize, shownValue, metricName, percent,
} from './center-util.js';
import { uploadList, ALLOWED_TYPES } from './center-upload.js';
import { criterionName, pathName } from './rule-texts.js';

function threshold(c) {
  return `${c.comparison} ${shownValue(c.threshold)}`;
}

export function criteriaTable(criteria, captionKey = 'detail.criteria_caption') {
  const rows = criteria.map((c) => h('tr', { class: c.met ? 'met' : 'unmet' },
    h('th', { scope: 'row' }, criterionName(c.name)),
    h('td', {}, c.alternative ? pathName(c.alternative) : '—'),
    h('td', {}, shownValue(c.observed)),
    h('td', {}, threshold(c)),
    h('td', {}, h('span', { class: c.met ? 'tag met' : 'tag unmet' },
      c.met ? `✓ ${t('detail.met')}` : `✗ ${t('detail.not_met')}`))));
  return h('table', { class: 'criteria' },
    h('caption', {}, t(captionKey)),
    h('thead', {}, h('tr', {},
      ...['criterion', 'alternative', 'observed', 'threshold', 'met'].map((c) => h('th', { scope: 'col' }, t(`detail.col.${c}`))))),
    h('tbody', {}, ...rows));
}

function decisionSection(decision, decidedAt, headingKey = 'detail.decision') {
  const parts = [
    h('h2', {}, t(headingKey)),
    facts([
      [t('detail.outcome'), statusBadge(decision.outcome)],
      [t('detail.reason'), pick(decision.reason) || decision.reason_code],
      [t('detail.decided_by'), tOr(`detail.decided_by.${decision.decided_by}`, decision.decided_by)],
      [t('detail.decided_at'), decidedAt ? formatTime(decidedAt) : null],
    ]),
  ];
  if (decision.unmet_criteria && decision.unmet_criteria.length) {
    parts.push(h('p', { class: 'unmet-summary' },
      t('detail.unmet_summary', { list: decision.unmet_criteria.map(criterionName).join(t('center.list_separator')) })));
  }
  if (decision.criteria && decision.criteria.length) parts.push(criteriaTable(decision.criteria));
  return h('section', { class: 'card decision' }, ...parts);
}

async function download(complaintId, attachment, status) {
  status.replaceChildren();
  try {
    const link = await api('GET',
      `/complaints/${encodeURIComponent(complaintId)}/attachments/${encodeURIComponent(attachment.attachment_id)}`);
    const a = h('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer', download: attachment.filename });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) {
    status.replaceChildren(errorBox(error));
  }
}

function attachmentsSection(complaint, ctx) {
  const status = h('div', { 'aria-live': 'polite' });
  const parts = [h('h2', {}, t('detail.attachments'))];
  if (!complaint.attachments.length) {
    parts.push(h('p', {}, t('detail.no_attachments')));
  } else {
    parts.push(h('table', { class: 'attachments' },
      h('thead', {}, h('tr', {},
        ...['file', 'type', 'size', 'state', 'action'].map((c) => h('th', { scope: 'col' }, t(`detail.col.${c}`))))),
      h('tbody', {}, ...complaint.attachments.map((a) => h('tr', {},
        h('td', { class: 'user-text' }, a.filename),
        h('td', {}, a.content_type),
        h('td', {}, fileSize(a.size)),
        h('td', {}, t(`detail.attachment.${a.status}`)),
        h('td', {}, a.status === 'verified'
          ? h('button', { type: 'button', 'aria-label': t('detail.download_label', { name: a.filename }),
            onclick: () => download(complaint.complaint_id, a, status) }, t('detail.download'))
          : '—'))))));
  }
  parts.push(status);
  if (complaint.status === 'pending') {
    const input = h('input', { id: 'more-files', type: 'file', multiple: '', accept: ALLOWED_TYPES.join(',') });
    const uploads = uploadList();
    const button = h('button', { type: 'submit' }, t('upload.add_button'));
    const form = h('form', { class: 'add-files' },
      h('label', { for: 'more-files' }, t('upload.add')), input, button, uploads.element);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!input.files.length) return;
      button.disabled = true;
      await uploads.run(complaint.complaint_id, [...input.files]);
      button.disabled = false;
      ctx.rerender();
    });
    parts.push(form);
  }
  return h('section', { class: 'card attachments-section' }, ...parts);
}

function exemptionSection(exemption) {
  const parts = [h('h2', {}, t('detail.exemption'))];
  if (exemption.status === 'not_applicable') parts.push(h('p', {}, t('detail.exemption.not_applicable')));
  if (exemption.status === 'scheduled') parts.push(h('p', {}, t('detail.exemption.scheduled', { due: formatTime(exemption.due_by) })));
  if (exemption.status === 'applied') {
    parts.push(h('p', {}, t('detail.exemption.applied', { at: formatTime(exemption.applied_at) })));
    parts.push(h('table', { class: 'exemption' },
      h('caption', {}, t('detail.exemption_caption')),
      h('thead', {}, h('tr', {},
        ...['metric', 'before', 'after'].map((c) => h('th', { scope: 'col' }, t(`detail.col.${c}`))))),
      h('tbody', {}, ...(exemption.metrics || []).map((m) => h('tr', {},
        h('th', { scope: 'row' }, metricName(m.metric)),
        h('td', {}, percent(m.before)),
        h('td', {}, percent(m.after)))))));
  }
  return h('section', { class: 'card exemption-section' }, ...parts);
}

function appealSection(complaint, ctx) {
  const parts = [h('h2', {}, t('detail.appeal'))];
  const appeal = complaint.appeal;
  if (appeal) {
    parts.push(facts([
      [t('detail.appeal.submitted_at'), formatTime(appeal.submitted_at)],
      [t('detail.appeal.statement'), h('span', { class: 'user-text' }, appeal.statement)],
    ]));
    parts.push(decisionSection(appeal.previous_decision, appeal.previous_decision.decided_at, 'detail.appeal.previous'));
    return h('section', { class: 'card appeal' }, ...parts);
  }
  // appeal_until: the end of the appeal window as the service computes it (APPEAL_DAYS)
  if (complaint.status !== 'rejected' || !complaint.appeal_until) return null;
  const until = complaint.appeal_until;
  if (Date.now() >= Date.parse(until)) {
    parts.push(h('p', {}, t('detail.appeal.closed', { until: formatTime(until) })));
    return h('section', { class: 'card appeal' }, ...parts);
  }
  parts.push(h('p', {}, t('detail.appeal.until', { until: formatTime(until) })));
  const statement = h('textarea', { id: 'appeal-statement', rows: '4', maxlength: '2000', required: '' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('detail.appeal.submit'));
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'appeal-form', novalidate: '' },
    h('div', { class: 'field' }, h('label', { for: 'appeal-statement' }, t('detail.appeal.statement')), statement),
    button, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = statement.value.trim();
    if (!text) {
      message.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('detail.appeal.need_statement')));
      statement.focus();
      return;
    }
    button.disabled = true;
    try {
      await api('POST', `/complaints/${encodeURIComponent(complaint.complaint_id)}/appeal`, { statement: text });
    } catch (error) {
      button.disabled = false;
      message.replaceChildren(errorBox(error));
      return;
    }
    ctx.flash = t('detail.appeal.done');
    ctx.rerender();
  });
  parts.push(form);
  return h('section', { class: 'card appeal' }, ...parts);
}

function timeline(history) {
  return h('section', { class: 'card' },
    h('h2', {}, t('detail.timeline')),
    h('ol', { class: 'timeline' }, ...history.map((entry) => h('li', {},
      h('time', { datetime: entry.at }, formatTime(entry.at)), ' — ',
      h('strong', {}, tOr(`action.${entry.action}`, entry.action)), ' ',
      h('span', { class: 'actor' }, t('detail.by', { actor: tOr(`actor.${entry.actor}`, entry.actor) }))))));
}

export async function renderComplaint(root, ctx, complaintId) {
  root.replaceChildren(h('p', {}, t('center.loading')));
  let c;
  try {
    c = await api('GET', `/complaints/${encodeURIComponent(complaintId)}`);
  } catch (error) {
    root.replaceChildren(h('h1', {}, t('detail.heading')), errorBox(error),
      h('p', {}, h('a', { href: '#/' }, t('center.back_to_records'))));
    return;
  }
  const scenario = ctx.scenarios.find((s) => s.code === c.scenario);
  const sub = scenario && c.reason ? scenario.sub_reasons.find((r) => r.code === c.reason) : null;
  const summary = facts([
    [t('detail.id'), c.complaint_id],
    [t('detail.scenario'), pick(c.scenario_name) || c.scenario],
    [t('detail.sub_reason'), sub ? pick(sub.name) : c.reason],
    [t('detail.order'), c.order_id],
    [t('detail.buyer'), c.buyer_id],
    [t('detail.status'), statusBadge(c.status)],
    [t('detail.submitted'), formatTime(c.submitted_at)],
    [t('detail.deadline'), c.status === 'pending' ? formatTime(c.due_at) : null],
    [t('detail.time_left'), c.status === 'pending' ? timeLeft(c.due_at) : null],
  ]);
  const flash = ctx.flash ? h('p', { role: 'status', class: 'notice' }, ctx.flash) : null;
  ctx.flash = null;
  root.replaceChildren(...[
    h('p', {}, h('a', { href: '#/' }, t('center.back_to_records'))),
    h('h1', {}, `${t('detail.heading')} ${c.complaint_id}`),
    flash,
    h('section', { class: 'card summary' }, h('h2', {}, t('detail.summary')), summary,
      h('h3', {}, t('detail.description')), h('p', { class: 'user-text' }, c.description),
      ...(c.evidence.length ? [h('h3', {}, t('detail.evidence')), h('ul', {}, ...c.evidence.map((e) => h('li', { class: 'user-text' }, e)))] : [])),
    c.decision ? decisionSection(c.decision, c.decided_at) : null,
    appealSection(c, ctx),
    exemptionSection(c.exemption),
    attachmentsSection(c, ctx),
    timeline(c.history),
  ].filter(Boolean));
}
