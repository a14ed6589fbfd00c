// Talking to the JSON API: problem documents become ApiError with a plain sentence.
// Writes carry the session's CSRF token; a 401 anywhere means "sign in" (app.js listens).

let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token || null;
}

function signedOut(status) {
  if (status === 401) window.dispatchEvent(new CustomEvent("handoff:unauthorized"));
}

export class ApiError extends Error {
  constructor(status, title, detail, errors) {
    super(detail || title || `Request failed (${status})`);
    this.status = status;
    this.title = title;
    this.errors = errors || [];
  }
}

function url(path, params) {
  const u = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => u.searchParams.append(key, v));
    else u.searchParams.set(key, value);
  }
  return u.pathname + u.search;
}

async function failure(response) {
  signedOut(response.status);
  let body = {};
  try {
    body = await response.json();
  } catch (_) {
    /* not JSON */
  }
  return new ApiError(response.status, body.title, body.detail, body.errors);
}

// A 202 with Retry-After (an analysis of a large log being computed on the server) is
// asked again after that many seconds until the answer is ready; onWait(body) is called
// with each 202's body ({state, phase, detail, elapsed_s}) to show that it is computing.
export async function get(path, params, { onWait } = {}) {
  for (;;) {
    const response = await fetch(url(path, params), { headers: { Accept: "application/json" } });
    if (!response.ok) throw await failure(response);
    const retry = response.status === 202 ? Number(response.headers.get("Retry-After")) : NaN;
    if (!(retry >= 0)) return response.json();
    const body = await response.json().catch(() => ({}));
    if (onWait) onWait(body);
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(retry, 1), 30) * 1000));
  }
}

export async function send(method, path, body, params) {
  const response = await fetch(url(path, params), {
    method,
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      ...(csrfToken ? { "X-CSRF-Token": csrfToken } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

// A multipart upload with progress (fetch cannot report upload progress).
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.responseType = "json";
    if (csrfToken) request.setRequestHeader("X-CSRF-Token", csrfToken);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      const body = request.response || {};
      if (request.status >= 200 && request.status < 300) resolve({ status: request.status, body });
      else {
        signedOut(request.status);
        reject(new ApiError(request.status, body.title, body.detail, body.errors));
      }
    };
    request.onerror = () => reject(new ApiError(0, "Network error", "The server could not be reached."));
    request.send(form);
  });
}

export { url };
