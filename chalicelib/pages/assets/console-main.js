// Reviewer console (phase 1 shell).
import { h, replace } from './dom.js';
import { addTexts, languageSwitch, onLanguageChange, t } from './i18n.js';
import { requireSession, sessionBadge } from './session.js';

addTexts({
  zh: { 'console.title': '审核台', 'console.placeholder': '审核台' },
  en: { 'console.title': 'Reviewer console', 'console.placeholder': 'Reviewer console' },
});

const top = document.getElementById('top');
const main = document.getElementById('main');
let session = null;

function render() {
  document.title = t('console.title');
  replace(top, h('h1', null, t('console.title')), languageSwitch(), session ? sessionBadge(session) : null);
  if (session) replace(main, h('section', { class: 'card' }, h('h2', null, t('console.title')), h('p', null, t('console.placeholder'))));
}

onLanguageChange(render);
render();
session = await requireSession('operator', main);
render();
