// 中文 / English.  t(key, vars), addTexts({zh, en}), setLanguage('zh'|'en'), language(),
// formatTime(iso) in the viewer's time zone, errorText(apiError).
// The choice is remembered in localStorage; the default follows navigator.language.
import { h } from './dom.js';

const KEY = 'seller-report-center.language';
const LANGUAGES = ['zh', 'en'];
const TEXTS = { zh: {}, en: {} };
const listeners = new Set();

export function addTexts(texts) {
  for (const lang of LANGUAGES) Object.assign(TEXTS[lang], texts[lang] || {});
}

export function language() {
  let stored = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch (_) {
    stored = null;
  }
  if (LANGUAGES.includes(stored)) return stored;
  const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return preferred.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** Switch language, remember it, and tell the page (onLanguageChange) to render again. */
export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  try {
    localStorage.setItem(KEY, lang);
  } catch (_) {
    /* private mode: not remembered, still switched */
  }
  document.documentElement.lang = locale();
  for (const listener of listeners) listener(lang);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The BCP 47 locale for Intl and <html lang>. */
export function locale() {
  return language() === 'zh' ? 'zh-CN' : 'en';
}

export function hasText(key) {
  return key in TEXTS[language()] || key in TEXTS.en;
}

export function t(key, vars) {
  const lang = language();
  const template = key in TEXTS[lang] ? TEXTS[lang][key] : key in TEXTS.en ? TEXTS.en[key] : key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    vars && vars[name] !== undefined && vars[name] !== null ? String(vars[name]) : whole,
  );
}

/** A ISO-8601 time in the viewer's own time zone (with the zone's name). */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

/** A duration in words ("3 h 5 min" / "3 小时 5 分钟"); negative durations are "overdue". */
export function formatDuration(ms) {
  const overdue = ms < 0;
  let minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [];
  if (days) parts.push(t('duration.days', { n: days }));
  if (hours || days) parts.push(t('duration.hours', { n: hours }));
  parts.push(t('duration.minutes', { n: minutes }));
  const text = parts.join(' ');
  return overdue ? t('duration.overdue', { time: text }) : t('duration.left', { time: text });
}

export function formatNumber(value, digits = 2) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** An API error in words: the text keyed error.<code>, else the status's, else a general
 * sentence with the API's own message. */
export function errorText(error) {
  if (!error) return t('error.unknown', { message: '' });
  const code = error.code || '';
  if (hasText(`error.${code}`)) return t(`error.${code}`, error.details || {});
  if (hasText(`error.status.${error.status}`)) return t(`error.status.${error.status}`);
  return t('error.unknown', { message: error.message || code });
}

/** The language switch: a labelled <select> that switches and remembers. */
export function languageSwitch() {
  const id = `language-${Math.random().toString(36).slice(2, 8)}`;
  const select = h(
    'select',
    { id, onchange: (event) => setLanguage(event.target.value) },
    h('option', { value: 'zh' }, '中文'),
    h('option', { value: 'en' }, 'English'),
  );
  select.value = language();
  return h('div', { class: 'language' }, h('label', { for: id }, t('language.label')), ' ', select);
}

addTexts({
  zh: {
    'language.label': '语言 Language',
    'duration.days': '{n} 天',
    'duration.hours': '{n} 小时',
    'duration.minutes': '{n} 分钟',
    'duration.left': '剩余 {time}',
    'duration.overdue': '已超时 {time}',
    'error.unknown': '出错了：{message}',
    'error.network': '无法连接服务，请检查网络后重试。',
    'error.status.400': '请求有误，请检查填写的内容。',
    'error.status.401': '登录已失效，请重新登录。',
    'error.status.403': '您没有权限执行此操作。',
    'error.status.404': '未找到，或不属于您。',
    'error.status.409': '与当前状态冲突，请刷新后再试。',
    'error.status.413': '内容太大。',
    'error.status.422': '不符合条件。',
    'error.status.503': '服务繁忙，请稍后重试。',
    'error.not_found': '未找到，或不属于您。',
    'error.missing_token': '请先登录。',
    'error.token_expired': '登录已过期，请重新登录。',
    'error.invalid_token': '登录无效，请重新登录。',
    'error.wrong_role': '此账号不能执行此操作。',
    'error.invalid_request': '请求有误，请检查填写的内容。',
    'error.storage_unavailable': '服务繁忙，请稍后重试。',
    'error.payload_too_large': '内容太大。',
  },
  en: {
    'language.label': 'Language 语言',
    'duration.days': '{n} d',
    'duration.hours': '{n} h',
    'duration.minutes': '{n} min',
    'duration.left': '{time} left',
    'duration.overdue': 'overdue by {time}',
    'error.unknown': 'Something went wrong: {message}',
    'error.network': 'The service cannot be reached; check the connection and try again.',
    'error.status.400': 'The request is not valid; check what you entered.',
    'error.status.401': 'Your sign-in has ended; sign in again.',
    'error.status.403': 'You are not allowed to do this.',
    'error.status.404': 'Not found, or not yours.',
    'error.status.409': 'This conflicts with the current state; reload and try again.',
    'error.status.413': 'That is too large.',
    'error.status.422': 'The conditions are not met.',
    'error.status.503': 'The service is busy; try again shortly.',
    'error.not_found': 'Not found, or not yours.',
    'error.missing_token': 'Please sign in first.',
    'error.token_expired': 'Your sign-in has expired; sign in again.',
    'error.invalid_token': 'Your sign-in is not valid; sign in again.',
    'error.wrong_role': 'This account cannot do this.',
    'error.invalid_request': 'The request is not valid; check what you entered.',
    'error.storage_unavailable': 'The service is busy; try again shortly.',
    'error.payload_too_large': 'That is too large.',
  },
});

document.documentElement.lang = locale();
