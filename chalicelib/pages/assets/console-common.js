// Helpers the console's views share: texts of scenarios, reasons, outcomes.
import { h } from './dom.js';
import { formatDuration, language, t } from './i18n.js';

export function localized(text) {
  if (!text) return '';
  return text[language()] || text.en || '';
}

export function scenarioOf(catalogue, code) {
  return (catalogue.items || []).find((item) => item.code === code) || null;
}

export function scenarioName(catalogue, code) {
  const scenario = scenarioOf(catalogue, code);
  return scenario ? localized(scenario.name) : code;
}

export function subReasonName(catalogue, scenarioCode, code) {
  const scenario = scenarioOf(catalogue, scenarioCode);
  const sub = scenario && scenario.sub_reasons.find((item) => item.code === code);
  return sub ? localized(sub.name) : code;
}

export function reasonText(catalogue, code, given) {
  if (given) return localized(given);
  const text = catalogue.reasons && catalogue.reasons[code];
  return text ? localized(text) : code;
}

/** The reason codes that fit a decision of this complaint, by outcome. */
export function decisionReasons(catalogue, complaint) {
  const scenario = scenarioOf(catalogue, complaint.scenario);
  if (!scenario) return { upheld: [], rejected: [] };
  const sub = complaint.reason && scenario.sub_reasons.find((item) => item.code === complaint.reason);
  return (sub || scenario).decision_reasons;
}

export function outcomeTag(outcome) {
  return h('span', { class: `tag ${outcome}` }, t(`outcome.${outcome}`));
}

export function timeLeft(dueAt) {
  const ms = new Date(dueAt).getTime() - Date.now();
  return h('span', { class: ms < 0 ? 'tag overdue' : null }, formatDuration(ms));
}

export function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
