// The seller center: sign-in, header (navigation, language, sign-out) and hash routing
// (#/, #/file, #/complaints/<id>, #/metrics). No token or personal data in the URL.
import { api } from './api.js';
import { requireSession, sessionBadge } from './session.js';
import { t, languageSwitch, onLanguageChange, locale } from './i18n.js';
import { h, replace } from './dom.js';
import './center-texts.js';
import { errorBox } from './center-util.js';
import { renderHome } from './center-home.js';
import { renderFile } from './center-file.js';
import { renderComplaint } from './center-complaint.js';
import { renderMetrics } from './center-metrics.js';

const top = document.getElementById('top');
const main = document.getElementById('main');
const ctx = { session: null, scenarios: [], flash: null, rerender: () => route() };

function currentPath() {
  return (window.location.hash.replace(/^#/, '') || '/').split('?')[0];
}

function header() {
  const current = currentPath();
  const link = (href, key) => h('li', null, h('a', {
    href: `#${href}`, 'aria-current': current === href ? 'page' : null }, t(key)));
  replace(top,
    h('h1', null, t('center.title')),
    ctx.session ? h('nav', { 'aria-label': t('center.nav.label') },
      h('ul', null, link('/', 'center.nav.home'), link('/file', 'center.nav.file'), link('/metrics', 'center.nav.metrics'))) : null,
    languageSwitch(),
    ctx.session ? sessionBadge(ctx.session) : null);
}

let routing = 0;

async function route() {
  const mine = ++routing;
  document.documentElement.lang = locale();
  document.title = t('center.title');
  header();
  if (!ctx.session) return;
  const path = currentPath();
  const match = path.match(/^\/complaints\/([^/]+)$/);
  try {
    if (match) await renderComplaint(main, ctx, decodeURIComponent(match[1]));
    else if (path === '/file') await renderFile(main, ctx);
    else if (path === '/metrics') await renderMetrics(main, ctx);
    else await renderHome(main, ctx);
  } catch (error) {
    if (mine === routing) replace(main, errorBox(error));
  }
}

async function start() {
  // The skip link must not change the route (the hash is the route).
  document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  onLanguageChange(() => {
    route().then(() => {
      const select = top.querySelector('.language select');
      if (select) select.focus();
    });
  });
  header();
  ctx.session = await requireSession('seller', main);
  try {
    ctx.scenarios = (await api('GET', '/scenarios')).items;
  } catch (error) {
    replace(main, errorBox(error));
    return;
  }
  window.addEventListener('hashchange', () => {
    route();
    main.focus();
  });
  await route();
}

start();
