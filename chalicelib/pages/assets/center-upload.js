// Evidence files: announce -> presigned POST with progress (XMLHttpRequest) -> complete.
import { api } from './api.js';
import { h } from './dom.js';
import { t, errorText } from './i18n.js';

export const ALLOWED_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/pdf'];
export const MAX_MB = 10;
const MAX_BYTES = MAX_MB * 1024 * 1024;

/** Why a file cannot be sent, in words, or null when it may be. */
export function refusal(file) {
  if (!ALLOWED_TYPES.includes(file.type)) return t('upload.bad_type');
  if (file.size > MAX_BYTES) return t('upload.too_big', { mb: MAX_MB });
  return null;
}

function invalidWhy(error) {
  const reason = error.details && error.details.reason;
  if (error.code === 'attachment_invalid' && reason) {
    const text = t(`upload.invalid.${reason}`, error.details);
    if (text !== `upload.invalid.${reason}`) return text;
  }
  return errorText(error);
}

function postForm(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new Error(t('upload.network', { status: xhr.status })));
    });
    xhr.addEventListener('error', () => reject(new Error(t('upload.network', { status: 0 }))));
    xhr.send(form);
  });
}

/**
 * A list of upload rows; `run(complaintId, files)` uploads them one after another and
 * resolves to the number that failed. Each row has a labelled <progress> and a live state.
 */
export function uploadList() {
  const list = h('ul', { class: 'uploads', 'aria-label': t('upload.heading') });

  async function one(complaintId, file) {
    const label = t('upload.progress', { name: file.name });
    const bar = h('progress', { max: '100', value: '0', 'aria-label': label });
    const state = h('span', { class: 'upload-state', role: 'status' }, t('upload.state.waiting'));
    list.append(h('li', {}, h('span', { class: 'upload-name' }, file.name), ' ', bar, ' ', state));
    const show = (key, vars) => { state.textContent = t(key, vars); };
    const fail = (why) => {
      state.textContent = t('upload.state.failed', { why });
      state.classList.add('error');
      return false;
    };
    const refused = refusal(file);
    if (refused) return fail(refused);
    try {
      show('upload.state.announcing');
      const announced = await api('POST', `/complaints/${encodeURIComponent(complaintId)}/attachments`, {
        filename: file.name, content_type: file.type, size: file.size,
      });
      show('upload.state.uploading', { pct: 0 });
      await postForm(announced.upload, file, (fraction) => {
        const pct = Math.round(fraction * 100);
        bar.value = pct;
        show('upload.state.uploading', { pct });
      });
      bar.value = 100;
      show('upload.state.verifying');
      const done = await api(
        'POST',
        `/complaints/${encodeURIComponent(complaintId)}/attachments/${encodeURIComponent(announced.attachment_id)}/complete`,
        {},
      );
      if (done.status !== 'verified') return fail(done.status);
      show('upload.state.verified');
      state.classList.add('ok');
      return true;
    } catch (error) {
      return fail(error.status !== undefined ? invalidWhy(error) : error.message);
    }
  }

  async function run(complaintId, files) {
    let failed = 0;
    for (const file of files) {
      if (!(await one(complaintId, file))) failed += 1;
    }
    return failed;
  }

  return { element: list, run };
}
