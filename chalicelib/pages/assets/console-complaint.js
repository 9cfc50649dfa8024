// One complaint for review: who and what, the recommendation with its criteria (the facts
// the rules looked at), attachments, history; decide; re-categorise.
// Everything sellers and buyers wrote is shown as text (dom.js).
import { criterionName, pathName } from './rule-texts.js';
import { api, ApiError } from './api.js';
import { announce, h, replace } from './dom.js';
import { errorText, formatTime, t } from './i18n.js';
import {
  decisionReasons,
  localized,
  outcomeTag,
  reasonText,
  scenarioName,
  scenarioOf,
  subReasonName,
  timeLeft,
  value,
} from './console-common.js';

/** A message to show above the complaint when it is next rendered (after an action). */
let flash = null;

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([term, detail]) => [h('dt', null, term), h('dd', null, detail)]));
}

function criteriaTable(criteria, caption) {
  if (!criteria || !criteria.length) return h('p', { class: 'muted' }, t('complaint.noCriteria'));
  return h(
    'table',
    null,
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      null,
      h('tr', null, ['criteria.name', 'criteria.alternative', 'criteria.observed', 'criteria.threshold', 'criteria.met'].map((k) => h('th', { scope: 'col' }, t(k)))),
    ),
    h(
      'tbody',
      null,
      criteria.map((c) =>
        h(
          'tr',
          { class: c.met ? null : 'unmet' },
          h('th', { scope: 'row' }, criterionName(c.name)),
          h('td', null, c.alternative ? pathName(c.alternative) : '—'),
          h('td', null, value(c.observed)),
          h('td', null, `${c.comparison} ${value(c.threshold)}`),
          h('td', null, h('span', { class: `tag ${c.met ? 'met' : 'unmet'}` }, t(c.met ? 'criteria.yes' : 'criteria.no'))),
        ),
      ),
    ),
  );
}

async function attachmentItem(complaint, attachment) {
  if (attachment.status !== 'verified') {
    return h('li', null, t('complaint.awaitingUpload', { name: attachment.filename }));
  }
  const path = `/review/complaints/${encodeURIComponent(complaint.complaint_id)}/attachments/${encodeURIComponent(attachment.attachment_id)}`;
  try {
    const link = await api('GET', path);
    if (attachment.content_type === 'application/pdf') {
      return h('li', null, h('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer' }, t('complaint.openPdf', { name: attachment.filename })));
    }
    return h(
      'li',
      null,
      h('span', null, attachment.filename),
      h('img', { class: 'attachment-image', src: link.url, alt: t('complaint.imageAlt', { name: attachment.filename }) }),
    );
  } catch (error) {
    return h('li', null, attachment.filename, ' — ', h('span', { class: 'error' }, errorText(error)));
  }
}

function historyDetails(entry) {
  const details = entry.details || {};
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${value(v)}`)
    .join(', ');
}

function historyList(complaint) {
  return h(
    'ol',
    { class: 'timeline' },
    complaint.history.map((entry) => {
      const details = historyDetails(entry);
      const key = `history.${entry.action}`;
      const label = t(key) === key ? entry.action : t(key);
      return h('li', null, h('strong', null, label), ' — ', entry.actor, ' — ', formatTime(entry.at), details ? h('div', { class: 'user-text' }, details) : null);
    }),
  );
}

function message(kind, text) {
  return h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

function decideForm(context, complaint) {
  const { catalogue } = context;
  const reasons = decisionReasons(catalogue, complaint);
  const recommended = complaint.recommendation;
  const feedback = h('div', { 'aria-live': 'polite' });
  const reasonSelect = h('select', { id: 'decide-reason', required: true });
  const fillReasons = (outcome) => {
    replace(
      reasonSelect,
      h('option', { value: '' }, t('decide.choose')),
      (reasons[outcome] || []).map((code) => h('option', { value: code }, reasonText(catalogue, code))),
    );
  };
  const radios = ['upheld', 'rejected'].map((outcome) =>
    h(
      'label',
      { class: 'choice' },
      h('input', {
        type: 'radio',
        name: 'outcome',
        value: outcome,
        onchange: () => fillReasons(outcome),
      }),
      t(`outcome.${outcome}`),
    ),
  );
  fillReasons(null);
  const note = h('textarea', { id: 'decide-note', maxlength: 2000 });
  const submit = h('button', { type: 'submit' }, t('decide.submit'));
  const form = h(
    'form',
    {
      'aria-labelledby': 'decide-title',
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = form.querySelector('input[name="outcome"]:checked');
        if (!chosen) return replace(feedback, message('error', t('decide.needOutcome')));
        if (!reasonSelect.value) return replace(feedback, message('error', t('decide.needReason')));
        const body = { outcome: chosen.value, reason_code: reasonSelect.value };
        if (note.value.trim()) body.note = note.value;
        const words = { outcome: t(`outcome.${body.outcome}`), reason: reasonText(catalogue, body.reason_code) };
        submit.disabled = true;
        try {
          await api('POST', `/review/complaints/${encodeURIComponent(complaint.complaint_id)}/decision`, body);
          flash = message('notice', t('decide.done', words));
        } catch (error) {
          if (error instanceof ApiError && error.status === 409) {
            flash = message('error', error.code === 'already_decided' ? t('decide.conflict', words) : `${errorText(error)} ${t('decide.notPending')}`);
            if (body.note) flash.append(h('span', { class: 'user-text' }, body.note));
          } else {
            submit.disabled = false;
            replace(feedback, message('error', errorText(error)));
            return undefined;
          }
        }
        await renderComplaint(context, complaint.complaint_id);
        return undefined;
      },
    },
    h('h3', { id: 'decide-title' }, t('decide.title')),
    h('fieldset', null, h('legend', null, t('decide.outcome')), radios),
    h('div', { class: 'field' }, h('label', { for: 'decide-reason' }, t('decide.reason')), reasonSelect),
    h('div', { class: 'field' }, h('label', { for: 'decide-note' }, t('decide.note')), note),
    submit,
    feedback,
  );
  if (recommended) {
    // the recommendation preselected: one keystroke away, never submitted by itself
    const radio = radios.find((label) => label.querySelector('input').value === recommended.outcome).querySelector('input');
    radio.checked = true;
    fillReasons(recommended.outcome);
    if ((reasons[recommended.outcome] || []).includes(recommended.reason_code)) reasonSelect.value = recommended.reason_code;
  }
  return form;
}

function recategoriseForm(context, complaint) {
  const { catalogue } = context;
  const feedback = h('div', { 'aria-live': 'polite' });
  const scenario = h(
    'select',
    { id: 'recat-scenario', required: true },
    h('option', { value: '' }, t('decide.choose')),
    catalogue.items.filter((item) => item.code !== complaint.scenario).map((item) => h('option', { value: item.code }, localized(item.name))),
  );
  const subReason = h('select', { id: 'recat-reason' });
  const subField = h('div', { class: 'field', hidden: true }, h('label', { for: 'recat-reason' }, t('recat.subReason')), subReason);
  scenario.addEventListener('change', () => {
    const chosen = scenarioOf(catalogue, scenario.value);
    const subs = chosen ? chosen.sub_reasons : [];
    replace(subReason, h('option', { value: '' }, t('decide.choose')), subs.map((sub) => h('option', { value: sub.code }, localized(sub.name))));
    subField.hidden = subs.length === 0;
  });
  const note = h('textarea', { id: 'recat-note', maxlength: 2000 });
  const submit = h('button', { type: 'submit', class: 'secondary' }, t('recat.submit'));
  return h(
    'form',
    {
      'aria-labelledby': 'recat-title',
      onsubmit: async (event) => {
        event.preventDefault();
        if (!scenario.value) return replace(feedback, message('error', t('recat.needScenario')));
        const body = { scenario: scenario.value };
        if (subReason.value && !subField.hidden) body.reason = subReason.value;
        if (note.value.trim()) body.note = note.value;
        submit.disabled = true;
        try {
          const moved = await api('POST', `/review/complaints/${encodeURIComponent(complaint.complaint_id)}/scenario`, body);
          flash = message('notice', t('recat.done', { scenario: scenarioName(catalogue, moved.scenario), id: moved.complaint_id }));
          context.navigate(`#/complaint/${encodeURIComponent(moved.complaint_id)}`);
        } catch (error) {
          submit.disabled = false;
          replace(feedback, message('error', errorText(error)));
        }
        return undefined;
      },
    },
    h('h3', { id: 'recat-title' }, t('recat.title')),
    h('div', { class: 'field' }, h('label', { for: 'recat-scenario' }, t('recat.scenario')), scenario),
    subField,
    h('div', { class: 'field' }, h('label', { for: 'recat-note' }, t('recat.note')), note),
    submit,
    feedback,
  );
}

export async function renderComplaint(context, complaintId) {
  const { main, status, catalogue } = context;
  const shown = flash;
  flash = null;
  let complaint;
  try {
    complaint = await api('GET', `/review/complaints/${encodeURIComponent(complaintId)}`);
  } catch (error) {
    replace(main, shown, h('p', { class: 'error', role: 'alert' }, errorText(error)), h('p', null, h('a', { href: '#/queue' }, t('complaint.back'))));
    return;
  }
  const rec = complaint.recommendation;
  const decision = complaint.decision;
  const attachments = await Promise.all(complaint.attachments.map((a) => attachmentItem(complaint, a)));
  const pending = complaint.status === 'pending';
  replace(
    main,
    h('p', null, h('a', { href: '#/queue' }, t('complaint.back'))),
    h('h2', { id: 'complaint-title' }, t('complaint.title', { id: complaint.complaint_id })),
    shown,
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'summary-title' },
        h('h3', { id: 'summary-title' }, t('complaint.summary')),
        facts([
          [t('complaint.status'), h('span', { class: `tag ${complaint.status}` }, t(`status.${complaint.status}`))],
          [t('complaint.scenario'), scenarioName(catalogue, complaint.scenario)],
          complaint.reason ? [t('complaint.subReason'), subReasonName(catalogue, complaint.scenario, complaint.reason)] : null,
          [t('complaint.seller'), complaint.seller_id],
          [t('complaint.buyer'), complaint.buyer_id],
          [t('complaint.order'), complaint.order_id],
          [t('complaint.submitted'), formatTime(complaint.submitted_at)],
          [t('complaint.due'), [formatTime(complaint.due_at), ' ', pending ? timeLeft(complaint.due_at) : null]],
          complaint.escalated_at ? [t('complaint.escalatedAt'), [h('span', { class: 'tag escalated' }, t('queue.escalated')), ' ', formatTime(complaint.escalated_at)]] : null,
        ]),
        h('h3', null, t('complaint.description')),
        h('p', { class: 'user-text' }, complaint.description),
        complaint.evidence.length ? [h('h3', null, t('complaint.evidence')), h('ul', null, complaint.evidence.map((e) => h('li', { class: 'user-text' }, e)))] : null,
        complaint.appeal
          ? [
              h('h3', null, t('complaint.appeal')),
              h('p', null, t('complaint.appealStatement')),
              h('p', { class: 'user-text' }, complaint.appeal.statement),
              h(
                'p',
                null,
                t('complaint.previousDecision', {
                  outcome: t(`outcome.${complaint.appeal.previous_decision.outcome}`),
                  reason: reasonText(catalogue, complaint.appeal.previous_decision.reason_code, complaint.appeal.previous_decision.reason),
                  actor: complaint.appeal.previous_decision.actor,
                  at: formatTime(complaint.appeal.previous_decision.decided_at),
                }),
              ),
            ]
          : null,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rec-title' },
        h('h3', { id: 'rec-title' }, decision ? t('complaint.decision') : t('complaint.recommendation')),
        decision
          ? [
              h('p', null, outcomeTag(decision.outcome), ' ', reasonText(catalogue, decision.reason_code, decision.reason)),
              h('p', null, t('complaint.decidedBy', { by: decision.actor || decision.decided_by, at: formatTime(complaint.decided_at) })),
              decision.note ? h('p', null, t('complaint.note'), h('span', { class: 'user-text' }, decision.note)) : null,
            ]
          : rec
            ? [
                h('p', null, t('complaint.recommendationLine', { outcome: t(`outcome.${rec.outcome}`), reason: reasonText(catalogue, rec.reason_code, rec.reason) })),
                h('p', { class: 'muted' }, t('complaint.assessedAt', { at: formatTime(rec.assessed_at) })),
              ]
            : h('p', null, t('rec.none')),
        h('h3', { id: 'criteria-title' }, t('complaint.facts')),
        criteriaTable(decision ? decision.criteria : rec ? rec.criteria : [], t('complaint.facts')),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'attachments-title' },
      h('h3', { id: 'attachments-title' }, t('complaint.attachments')),
      attachments.length ? h('ul', null, attachments) : h('p', { class: 'muted' }, t('complaint.noAttachments')),
    ),
    pending ? h('div', { class: 'grid' }, h('section', { class: 'card' }, decideForm(context, complaint)), h('section', { class: 'card' }, recategoriseForm(context, complaint))) : null,
    h('section', { class: 'card', 'aria-labelledby': 'history-title' }, h('h3', { id: 'history-title' }, t('complaint.history')), historyList(complaint)),
  );
  announce(status, t('complaint.title', { id: complaint.complaint_id }));
}
