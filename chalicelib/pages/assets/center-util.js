// Small helpers shared by the seller center's views. All text goes through h() (textContent).
import { h } from './dom.js';
import { t, language, errorText, formatDuration } from './i18n.js';

/** The text of a {zh, en} pair in the current language. */
export function pick(pair) {
  if (!pair) return '';
  return pair[language()] || pair.en || pair.zh || '';
}

/** A key's text, or `fallback` when the texts have none for it. */
export function tOr(key, fallback, vars) {
  const text = t(key, vars);
  return text === key ? fallback : text;
}

export function statusText(status) {
  return tOr(`status.${status}`, status);
}

export function metricName(code, name) {
  return name ? pick(name) : tOr(`metric.${code}`, code);
}

/** A rate (0..1) as a percentage, or "no data". */
export function percent(value) {
  if (value === null || value === undefined) return t('metrics.none');
  return `${(value * 100).toFixed(2)}%`;
}

export function shownValue(value) {
  if (value === true || value === false) return t(`value.${value}`);
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  return String(value);
}

/** "5 h 12 min left" until `iso`, or "overdue by …". */
export function timeLeft(iso, now = Date.now()) {
  return formatDuration(Date.parse(iso) - now);
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** An error shown in words (role=alert so screen readers announce it). */
export function errorBox(error, extra) {
  const words = error && error.status !== undefined ? errorText(error) : String((error && error.message) || error);
  return h('p', { class: 'error', role: 'alert' }, words, extra ? [' ', extra] : null);
}

export function statusBadge(status) {
  return h('span', { class: `tag ${status}` }, statusText(status));
}

/** A definition list from [label, value] pairs (values may be nodes or text). */
export function facts(pairs) {
  const dl = h('dl', { class: 'facts' });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === '') continue;
    dl.append(h('dt', {}, label), h('dd', {}, value));
  }
  return dl;
}

export function complaintLink(id, text) {
  return h('a', { href: `#/complaints/${encodeURIComponent(id)}` }, text || id);
}
