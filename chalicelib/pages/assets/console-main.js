// The reviewer console: routes (#/queue, #/complaint/<id>, #/sla), header, catalogue.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { addTexts, errorText, languageSwitch, onLanguageChange, t } from './i18n.js';
import { requireSession, sessionBadge } from './session.js';
import './console-texts.js';
import { renderQueue } from './console-queue.js';
import { renderComplaint } from './console-complaint.js';
import { renderSla } from './console-sla.js';

const top = document.getElementById('top');
const main = document.getElementById('main');
const status = document.getElementById('status');

const state = { session: null, catalogue: null };

function route() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = hash.split('/');
  if (name === 'complaint' && rest.length) return { name, id: decodeURIComponent(rest.join('/')) };
  if (name === 'sla') return { name };
  return { name: 'queue' };
}

function header() {
  const current = route().name;
  const link = (name, href) =>
    h('li', null, h('a', { href, 'aria-current': current === name ? 'page' : null }, t(`nav.${name}`)));
  document.title = t('console.title');
  replace(
    top,
    h('h1', null, t('console.title')),
    state.session
      ? h('nav', { 'aria-label': t('nav.label') }, h('ul', null, link('queue', '#/queue'), link('sla', '#/sla')))
      : null,
    languageSwitch(),
    state.session ? sessionBadge(state.session) : null,
  );
}

/** Reason codes' texts double as error texts (a 422's code is a reason code). */
function learnReasons(catalogue) {
  const zh = {};
  const en = {};
  for (const [code, text] of Object.entries(catalogue.reasons || {})) {
    zh[`error.${code}`] = text.zh;
    en[`error.${code}`] = text.en;
  }
  addTexts({ zh, en });
}

async function render() {
  header();
  if (!state.session) return;
  const current = route();
  const context = { main, status, catalogue: state.catalogue, navigate };
  try {
    if (!state.catalogue) {
      state.catalogue = await api('GET', '/scenarios');
      learnReasons(state.catalogue);
      context.catalogue = state.catalogue;
    }
    if (current.name === 'complaint') await renderComplaint(context, current.id);
    else if (current.name === 'sla') await renderSla(context);
    else await renderQueue(context);
  } catch (error) {
    replace(main, h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
}

function navigate(hash) {
  if (window.location.hash === hash) render();
  else window.location.hash = hash;
}

window.addEventListener('hashchange', () => {
  render().then(() => main.focus());
});
onLanguageChange(render);
header();
state.session = await requireSession('operator', main);
render();
