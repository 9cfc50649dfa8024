// The seller center: sign-in, header (navigation, language, sign-out) and hash routing
// (#/, #/file, #/complaints/<id>, #/metrics). No token or personal data in the URL.
import { api } from './api.js';
import { requireSession, signOut } from './session.js';
import { t, setLanguage, language } from './i18n.js';
import { h } from './dom.js';
import './center-texts.js';
import { errorBox } from './center-util.js';
import { renderHome } from './center-home.js';
import { renderFile } from './center-file.js';
import { renderComplaint } from './center-complaint.js';
import { renderMetrics } from './center-metrics.js';

const ctx = { session: null, scenarios: [], flash: null, rerender: () => route() };

function header() {
  const lang = h('select', { id: 'language' },
    h('option', { value: 'zh', lang: 'zh' }, '中文'),
    h('option', { value: 'en', lang: 'en' }, 'English'));
  lang.value = language();
  lang.addEventListener('change', () => {
    setLanguage(lang.value);
    route();
    document.getElementById('language').focus();
  });
  const current = location.hash.replace(/^#/, '') || '/';
  const link = (href, key) => h('a', { href: `#${href}`,
    ...(current === href ? { 'aria-current': 'page' } : {}) }, t(key));
  return h('div', { class: 'bar' },
    h('span', { class: 'brand' }, t('center.title')),
    h('nav', { 'aria-label': t('center.nav.label') },
      link('/', 'center.nav.home'), link('/file', 'center.nav.file'), link('/metrics', 'center.nav.metrics')),
    h('span', { class: 'who' }, t('center.signed_in_as', { subject: ctx.session.subject })),
    h('label', { for: 'language', class: 'visually-hidden' }, t('center.language')),
    lang,
    h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, t('center.sign_out')));
}

async function route() {
  const main = document.getElementById('main');
  document.documentElement.lang = language() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('center.title');
  document.getElementById('header').replaceChildren(header());
  const path = (location.hash.replace(/^#/, '') || '/').split('?')[0];
  const match = path.match(/^\/complaints\/([^/]+)$/);
  try {
    if (match) await renderComplaint(main, ctx, decodeURIComponent(match[1]));
    else if (path === '/file') await renderFile(main, ctx);
    else if (path === '/metrics') await renderMetrics(main, ctx);
    else await renderHome(main, ctx);
  } catch (error) {
    main.replaceChildren(errorBox(error));
  }
}

async function start() {
  // The skip link must not change the route (the hash is the route).
  document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  ctx.session = await requireSession('seller');
  if (!ctx.session) return; // redirected to the sign-in
  try {
    ctx.scenarios = (await api('GET', '/scenarios')).items;
  } catch (error) {
    document.getElementById('main').replaceChildren(errorBox(error));
    return;
  }
  window.addEventListener('hashchange', () => {
    route();
    document.getElementById('main').focus();
  });
  await route();
}

start();
