// The public REST API, with the signed-in user's session: the same rules as for any client.
// Writes send the CSRF cookie's value in X-CSRF-Token (the server refuses cookie-authenticated
// writes without it). A 401 means the session ended: whatever the page registered with
// `beforeSignIn` is kept, and the user signs in again and comes back here.

import { lang } from "./i18n.js";

/** An error answer of the API: its status and RFC 9457 problem document. */
export class ApiError extends Error {
  constructor(status, problem, etag) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.etag = etag;
  }

  /** The field errors of a 422, `[{pointer, code, detail}]`. */
  get fieldErrors() {
    return (this.problem.errors || []).filter((e) => e.pointer !== undefined);
  }
}

const keepers = [];

/** `keep()` runs before the browser leaves for the sign-in page (to keep what was typed). */
export function beforeSignIn(keep) {
  keepers.push(keep);
}

export function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)onconet_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export function signInAgain() {
  for (const keep of keepers) {
    try {
      keep();
    } catch (_) {
      /* keeping is best effort */
    }
  }
  const next = location.pathname;
  location.assign(`/console/sign-in?lang=${lang}&next=${encodeURIComponent(next)}`);
}

/**
 * Calls the API. Returns `{status, etag, body}`; throws ApiError for 4xx/5xx (a 401 first
 * sends the user to sign in again). `options.json` is sent as the body with its content type.
 */
export async function api(path, options = {}) {
  const method = options.method || "GET";
  const headers = new Headers(options.headers || {});
  headers.set("Accept-Language", lang);
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  if (!["GET", "HEAD"].includes(method)) headers.set("X-CSRF-Token", csrfToken());
  const response = await fetch(path, { method, headers, body, credentials: "same-origin", signal: options.signal, cache: options.cache || "default" });
  const etag = response.headers.get("ETag");
  const type = response.headers.get("Content-Type") || "";
  const parsed = type.includes("json") ? await response.json().catch(() => ({})) : await response.text();
  if (response.status === 401 && !options.noSignIn) {
    signInAgain();
    throw new ApiError(401, parsed, etag);
  }
  if (!response.ok) throw new ApiError(response.status, typeof parsed === "object" ? parsed : { detail: parsed }, etag);
  return { status: response.status, etag, body: parsed };
}
