// Sign-in.  requireSession(role) -> {token, subject, role}; signOut().
// The token lives in sessionStorage only (this tab, until it closes): never in a URL, a
// cookie or localStorage.
//
// Where the token comes from:
// * make run (dev stage, DEV_SIGN_IN=1): GET /dev/accounts lists the demo accounts with
//   short-lived tokens; the person picks one.
// * production: the portal's sign-in page, SIGN_IN_URL (a <meta name="sign-in-url"> the
//   service fills in), opened in a window of its own; when the person has signed in there it
//   hands the token back with window.opener.postMessage({type: 'seller-report-center:token',
//   token}, <this page's origin>).  Only messages from SIGN_IN_URL's origin are accepted.
import { apiFetch } from './api.js';
import { h, replace } from './dom.js';
import { addTexts, t } from './i18n.js';

const KEY = 'seller-report-center.session';
const MESSAGE_TYPE = 'seller-report-center:token';

addTexts({
  zh: {
    'signin.title': '登录',
    'signin.dev': '开发环境登录：选择一个演示账号。',
    'signin.as': '以 {subject} 登录',
    'signin.portal': '通过门户登录',
    'signin.portalHint': '将在新窗口中打开门户登录页。',
    'signin.none': '未配置登录方式（SIGN_IN_URL）。',
    'signin.wrongRole': '此账号（{role}）不能使用本页面，请换一个账号。',
    'signin.signOut': '退出登录',
    'signin.who': '{subject}（{role}）',
    'role.seller': '商家',
    'role.operator': '审核员',
  },
  en: {
    'signin.title': 'Sign in',
    'signin.dev': 'Development sign-in: pick a demo account.',
    'signin.as': 'Sign in as {subject}',
    'signin.portal': 'Sign in through the portal',
    'signin.portalHint': "The portal's sign-in page opens in a new window.",
    'signin.none': 'No sign-in is configured (SIGN_IN_URL).',
    'signin.wrongRole': 'This account ({role}) cannot use this page; use another account.',
    'signin.signOut': 'Sign out',
    'signin.who': '{subject} ({role})',
    'role.seller': 'Seller',
    'role.operator': 'Reviewer',
  },
});

function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch (_) {
    return null;
  }
}

/** The stored session if there is one and its token has not expired. */
export function currentSession() {
  let stored = null;
  try {
    stored = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch (_) {
    stored = null;
  }
  if (!stored || typeof stored.token !== 'string') return null;
  const payload = claims(stored.token);
  if (!payload || typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return { token: stored.token, subject: String(payload.sub), role: String(payload.role) };
}

export function token() {
  const session = currentSession();
  return session ? session.token : null;
}

/** Forget the token (it was refused, or the person signs out). */
export function forgetSession() {
  sessionStorage.removeItem(KEY);
}

function store(jwt) {
  sessionStorage.setItem(KEY, JSON.stringify({ token: jwt }));
  return currentSession();
}

export function signOut() {
  forgetSession();
  window.location.reload();
}

/** A "Signed in as … / Sign out" element for the page's header. */
export function sessionBadge(session) {
  return h(
    'div',
    { class: 'session' },
    h('span', null, t('signin.who', { subject: session.subject, role: t(`role.${session.role}`) })),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, t('signin.signOut')),
  );
}

function signInUrl() {
  const meta = document.querySelector('meta[name="sign-in-url"]');
  const value = meta ? meta.getAttribute('content') : '';
  return value && !value.startsWith('{{') ? value : '';
}

async function devAccounts() {
  try {
    const response = await apiFetch('GET', '/dev/accounts');
    if (!response.ok) return null;
    const body = await response.json();
    return Array.isArray(body.items) ? body.items : null;
  } catch (_) {
    return null;
  }
}

function portalSignIn(url, resolve) {
  const origin = new URL(url, window.location.href).origin;
  window.addEventListener('message', function onMessage(event) {
    if (event.origin !== origin) return;
    const data = event.data || {};
    if (data.type !== MESSAGE_TYPE || typeof data.token !== 'string') return;
    window.removeEventListener('message', onMessage);
    resolve(store(data.token));
  });
  window.open(url, 'seller-report-center-sign-in', 'popup,width=520,height=640');
}

/** The session for `role`: the stored one, else the sign-in is shown in `container` until
 * the person has signed in with an account of that role. */
export async function requireSession(role, container = document.querySelector('main')) {
  const existing = currentSession();
  if (existing && existing.role === role) return existing;
  const wrong = existing && existing.role !== role ? existing.role : null;
  if (wrong) forgetSession();
  const accounts = await devAccounts();
  return new Promise((resolve) => {
    const notice = wrong ? h('p', { class: 'error', role: 'alert' }, t('signin.wrongRole', { role: wrong })) : null;
    const done = (session) => {
      replace(container);
      resolve(session);
    };
    let body;
    if (accounts) {
      body = [
        h('p', null, t('signin.dev')),
        h(
          'ul',
          { class: 'accounts' },
          accounts
            .filter((account) => account.role === role)
            .map((account) =>
              h(
                'li',
                null,
                h(
                  'button',
                  { type: 'button', onclick: () => done(store(account.token)) },
                  t('signin.as', { subject: account.subject }),
                ),
              ),
            ),
        ),
      ];
    } else if (signInUrl()) {
      body = [
        h('p', null, t('signin.portalHint')),
        h('button', { type: 'button', onclick: () => portalSignIn(signInUrl(), done) }, t('signin.portal')),
      ];
    } else {
      body = [h('p', { class: 'error', role: 'alert' }, t('signin.none'))];
    }
    replace(container, h('section', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' }, h('h2', { id: 'sign-in-title' }, t('signin.title')), notice, body));
  });
}
