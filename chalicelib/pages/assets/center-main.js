// Seller center — placeholder (the seller center's own modules replace this file).
import { h, replace } from './dom.js';
import { addTexts, languageSwitch, onLanguageChange, t } from './i18n.js';
import { requireSession, sessionBadge } from './session.js';

addTexts({
  zh: { 'center.title': '举报工具中心', 'center.placeholder': '商家中心正在建设中。' },
  en: { 'center.title': 'Seller Report Center', 'center.placeholder': 'The seller center is being built.' },
});

const top = document.getElementById('top');
const main = document.getElementById('main');
let session = null;

function render() {
  document.title = t('center.title');
  replace(top, h('h1', null, t('center.title')), languageSwitch(), session ? sessionBadge(session) : null);
  if (session) replace(main, h('section', { class: 'card' }, h('h2', null, t('center.title')), h('p', null, t('center.placeholder'))));
}

onLanguageChange(render);
render();
session = await requireSession('seller', main);
render();
