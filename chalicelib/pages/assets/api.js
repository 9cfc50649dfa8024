// The API client: api(method, path, body?) -> parsed JSON, or throws ApiError.
// The bearer token comes from the session (sessionStorage), never from a URL.
import { token, forgetSession } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details === undefined ? null : details;
  }
}

/** The API's root URL: where this module is served from, less its assets folder (the
 * pages' files are served by the API itself, behind the stage's path prefix if any). */
export function apiRoot() {
  const url = new URL(import.meta.url);
  url.pathname = url.pathname.replace(/(?:center\/|console\/)?assets\/[^/]*$/, '');
  url.search = '';
  url.hash = '';
  return url.href;
}

/** An absolute URL of an API path ('/complaints' or 'complaints'). */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ''), apiRoot()).href;
}

/** fetch() an API path with the session's token; resolves to the Response, whatever its
 * status (for downloads); network failures become ApiError(0, 'network'). */
export async function apiFetch(method, path, body) {
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(apiUrl(path), init);
  } catch (error) {
    throw new ApiError(0, 'network', String(error && error.message ? error.message : error));
  }
}

/** Turn an error response into an ApiError (the API's {"error": {...}} shape). */
export async function errorOf(response) {
  let payload = null;
  try {
    payload = await response.json();
  } catch (_) {
    payload = null;
  }
  const error = payload && payload.error ? payload.error : {};
  if (response.status === 401) forgetSession();
  return new ApiError(
    response.status,
    error.code || `http_${response.status}`,
    error.message || response.statusText,
    error.details,
  );
}

export async function api(method, path, body) {
  const response = await apiFetch(method, path, body);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A query string from an object, leaving out empty values. */
export function queryString(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
