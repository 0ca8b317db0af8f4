// API client: the token (from the URL fragment, kept in sessionStorage), JSON requests and the live SSE stream.
// Every path is resolved against the page's own URL so the console also works behind a reverse-proxy prefix.

const TOKEN_KEY = "seawarden.token";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Take `#token=...` from the address bar (then remove it, so it is not bookmarked or shared), else sessionStorage. */
export function takeToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromUrl = params.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function apiUrl(path, query) {
  const url = new URL("api/" + path.replace(/^\//, ""), document.baseURI);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url;
}

/** Listeners told about every failed request (the status bar shows 401/403/429 and network failures). */
const errorListeners = new Set();
export function onApiError(fn) { errorListeners.add(fn); }

export async function api(path, { method = "GET", query, body } = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(apiUrl(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    const e = new ApiError(0, `server unreachable (${method} /api/${path}): ${err.message}`);
    errorListeners.forEach((fn) => fn(e));
    throw e;
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!resp.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    const msg = `${method} /api/${path}: ${resp.status} ${resp.statusText}` +
      (detail ? ` — ${typeof detail === "string" ? detail : JSON.stringify(detail)}` : "");
    const e = new ApiError(resp.status, msg, data);
    errorListeners.forEach((fn) => fn(e));
    throw e;
  }
  return data;
}

/**
 * Subscribe to /api/live. EventSource cannot send headers, so the token goes in the query (the contract allows it
 * on this route only). `handlers` maps event names (positions, alert, stats) to callbacks taking parsed JSON;
 * `onState` is told "connecting" | "live" | "lost" | "closed".
 */
export function openLive(handlers, onState) {
  let source = null;
  let retryTimer = null;
  let stopped = false;
  const connect = () => {
    onState("connecting");
    source = new EventSource(apiUrl("live", { token: sessionStorage.getItem(TOKEN_KEY) }));
    source.onopen = () => onState("live");
    source.onerror = () => {
      if (stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a 401 or a non-SSE answer): retry ourselves, slowly.
        onState("closed");
        clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, 5000);
      } else {
        onState("lost");  // the browser reconnects by itself
      }
    };
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch { return; }
        fn(data);
      });
    }
  };
  connect();
  return () => { stopped = true; clearTimeout(retryTimer); if (source) source.close(); };
}

/** Alert JSON differs slightly between the list, one alert and an SSE change; give the page one shape. */
export function normaliseAlert(raw) {
  const a = raw && raw.alert ? { ...raw.alert, change: raw.change } : { ...raw };
  a.id = a.id ?? a.alert_id;
  a.opened = a.opened ?? a.created_at ?? a.first_event;
  a.updated = a.updated ?? a.updated_at ?? a.last_event;
  a.asset_id = a.asset_id ?? (a.key && a.key.asset_id) ?? null;
  a.mmsi = a.mmsi ?? (a.key && a.key.mmsi);
  a.kind = a.kind ?? (a.key && a.key.kind);
  return a;
}
