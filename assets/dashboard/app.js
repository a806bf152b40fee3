// hikbridge operator dashboard: plain ES module, no dependencies, same-origin API calls.
//
// Everything that comes from the server is written with textContent (never innerHTML), so
// event payloads, door names and Humand's messages cannot inject markup. The page's words are
// in i18n.js (Spanish and English); t(key, {…}) gives one in the current language.

import { t, word, rich, locale, language, setLanguage, initialLanguage, applyStatic } from './i18n.js';

const TOKEN_KEY = 'hikbridge.dashboard.token';
const POLL_MS = 2000;
const REQUEST_TIMEOUT_MS = 10000;
// An optional endpoint that answered 404/405 (an older server) is asked again after this long.
const OPTIONAL_RETRY_MS = 30000;

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

let token = null;
/** The signed-in client ({client, user, scopes: Set}) from GET /admin/session; null: not known yet. */
let session = null;
/** A call was refused with 403: read the session again at the next refresh (scopes changed). */
let sessionStale = false;
let pollGeneration = 0;
let pollTimer = null;
let refreshing = null;
let refreshAgain = null;
const unavailableUntil = new Map(); // path -> epoch ms

class HttpError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A whole number from anything (0 when absent or not a number). */
function num(v) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : 0;
}

function isObj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Local time for unix milliseconds, an RFC 3339 string, or a Date. */
function localTime(v) {
  if (v === null || v === undefined || v === '') return '—';
  const d = v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toLocaleString(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

function isoTitle(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}

function text(v, fallback = '—') {
  if (v === null || v === undefined || v === '') return fallback;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Create an element; `children` are nodes or strings (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function td(value, attrs = {}) {
  return el('td', attrs, text(value));
}

function timeCell(value) {
  return el('td', { title: isoTitle(value) }, el('time', { datetime: isoTitle(value) || undefined }, localTime(value)));
}

function pill(state, label) {
  const cls = {
    ok: 'pill-ok', ready: 'pill-ok', running: 'pill-ok', done: 'pill-ok', delivered: 'pill-ok',
    warning: 'pill-warn', degraded: 'pill-warn', paused: 'pill-warn', queued: 'pill-info', sending: 'pill-info',
    dry_run: 'pill-info', 'dry run': 'pill-info',
    error: 'pill-bad', not_ready: 'pill-bad', unreachable: 'pill-bad', failed: 'pill-bad', parked: 'pill-bad',
    stopped: 'pill-bad',
  }[state] || 'pill-unknown';
  return ['pill', cls];
}

function setPill(node, state, label) {
  if (!node) return;
  node.classList.remove('pill-ok', 'pill-warn', 'pill-bad', 'pill-info', 'pill-unknown');
  node.classList.add(...pill(state).slice(1));
  node.dataset.status = state;
  node.textContent = label ?? word('state', state);
}

function setField(root, name, value) {
  const node = root && root.querySelector(`[data-field="${name}"]`);
  if (node) node.textContent = value;
  return node;
}

function show(node, visible) {
  if (node) node.hidden = !visible;
}

let noticeTimer = null;
function notice(message, kind = 'info') {
  const n = $('#notice');
  n.textContent = message;
  n.dataset.kind = kind;
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
}

/** Humand's message from a stored response body (JSON or text), shortened. */
function humandMessage(body) {
  if (body === null || body === undefined || body === '') return '';
  let msg = String(body);
  try {
    const v = JSON.parse(msg);
    if (isObj(v)) {
      const pick = v.message ?? v.error?.message ?? v.error ?? v.detail ?? v.msg ?? v.errors;
      if (pick !== undefined) msg = typeof pick === 'string' ? pick : JSON.stringify(pick);
    } else if (typeof v === 'string') {
      msg = v;
    }
  } catch { /* not JSON: the text itself */ }
  return msg.length > 300 ? `${msg.slice(0, 300)}…` : msg;
}

// ---------------------------------------------------------------------------------------------
// The API

async function api(path, { method = 'GET', body, auth = true, raw = false } = {}) {
  const headers = { Accept: raw ? '*/*' : 'application/json', 'Accept-Language': language() };
  if (auth) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: payload, cache: 'no-store', credentials: 'omit',
      redirect: 'error', signal: ctl.signal,
    });
  } catch (e) {
    throw new HttpError(0, 'unreachable', e.name === 'AbortError'
      ? t('error.timeout', { secs: REQUEST_TIMEOUT_MS / 1000 }) : t('error.unreachable'));
  } finally {
    clearTimeout(timer);
  }
  if (raw && res.ok) return res;
  let data = null;
  const ct = res.headers.get('content-type') || '';
  if (ct.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const err = isObj(data) && isObj(data.error) ? data.error : {};
    let message = err.message || `${res.status} ${res.statusText}`;
    if (res.status === 403 && auth) {
      // The client's scopes do not cover this call (changed since the page read them): say
      // what the server said, and read the session again so the page hides what it may not do.
      message = t('error.forbidden', { message: err.details?.msg || message });
      sessionStale = true;
    }
    const e = new HttpError(res.status, err.code, message);
    e.body = data;
    if (res.status === 401 && auth) logout(t('login.refused', { message: e.message }));
    throw e;
  }
  return data;
}

/** An endpoint that an older server may lack: null while unavailable (404 / 405). */
async function optionalApi(path) {
  const key = path.split('?')[0];
  const until = unavailableUntil.get(key);
  if (until && until > Date.now()) return null;
  try {
    const data = await api(path);
    unavailableUntil.delete(key);
    return data;
  } catch (e) {
    if (e.status === 404 || e.status === 405) {
      unavailableUntil.set(key, Date.now() + OPTIONAL_RETRY_MS);
      return null;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Login

function readFragmentToken() {
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : location.hash;
  if (!hash) return null;
  // Not URLSearchParams: it would turn a "+" of a base64 token into a space.
  const parts = hash.split('&');
  const i = parts.findIndex((p) => p.startsWith('token='));
  if (i < 0) return null;
  let t = parts[i].slice('token='.length);
  try { t = decodeURIComponent(t); } catch { /* keep it as written */ }
  parts.splice(i, 1);
  const rest = parts.filter(Boolean).join('&');
  // Drop the token from the address bar (and so from history and bookmarks).
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return t.trim() || null;
}

function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

function storeToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives in memory only */ }
}

function login(t, s) {
  token = t;
  storeToken(t);
  setSession(s);
  show($('#login-view'), false);
  show($('#app-view'), true);
  show($('#logout'), true);
  $('#login-message').textContent = '';
  startPolling();
}

/** Sign in with a token from the address or this tab: read its session, then show the page. */
async function resume(given) {
  token = given;
  let s = null;
  try {
    s = await readSession();
  } catch (e) {
    if (e.status === 401) return; // logged out with the reason
    // Unreachable or failing: sign in anyway; the session is read again at each refresh.
  }
  login(given, s);
}

function logout(message = '') {
  token = null;
  storeToken(null);
  stopPolling();
  resetAudit();
  setSession(null);
  clearRows();
  show($('#app-view'), false);
  show($('#logout'), false);
  show($('#login-view'), true);
  setPill($('#overall-status'), 'unknown', t('status.signedOut'));
  $('#last-update').textContent = '';
  const msg = $('#login-message');
  msg.textContent = message;
  const input = $('#token');
  input.value = '';
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// The session: who is signed in, and what the page shows them

const SCOPES = ['sync', 'read', 'operate', 'admin'];
/** The scope each row action needs (http/auth/scopes.rs); an action not listed needs admin. */
const ACTION_SCOPES = {
  retry: 'operate', discard: 'operate', 'retry-event': 'operate', 'admit-event': 'operate', cancel: 'operate',
  'lc-apply': 'admin', 'lc-discard': 'operate',
};

/** GET /admin/session; a server without it (older, api.tokens only) gives every scope. */
async function readSession() {
  try {
    const s = await api('/admin/session');
    const scopes = Array.isArray(s?.scopes) ? s.scopes.filter((x) => SCOPES.includes(x)) : [];
    return { client: text(s?.client, ''), user: s?.user ? String(s.user) : null, scopes: new Set(scopes) };
  } catch (e) {
    if (e.status === 404 || e.status === 405) return { client: '', user: null, scopes: new Set(SCOPES), legacy: true };
    throw e;
  }
}

/** Whether the signed-in client has `scope` (false while the session is not known). */
function can(scope) {
  return !!session && session.scopes.has(scope);
}

function scopesKey(s) {
  return s ? SCOPES.filter((x) => s.scopes.has(x)).join(',') : '';
}

/** Take `s` as the session: top bar, note, and only the views and actions its scopes allow. */
function setSession(s) {
  const changed = scopesKey(s) !== scopesKey(session);
  session = s;
  renderSession();
  // Rows are built with the actions allowed when they were built: rebuild them.
  if (changed) clearRows();
}

function renderSession() {
  const info = $('#session-info');
  const known = !!session && !session.legacy;
  show(info, known);
  if (known) {
    const scopes = SCOPES.filter((x) => session.scopes.has(x));
    const parts = [
      el('span', { class: 'session-client' }, t('session.client', { client: session.client })),
      session.user ? el('span', { class: 'session-user' }, t('session.user', { user: session.user })) : null,
      el('span', { class: 'session-scopes' }, t('session.scopes', { scopes: scopes.join(', ') || t('session.noScopes') })),
    ].filter(Boolean);
    info.replaceChildren(...parts.flatMap((p, i) => (i ? [' · ', p] : [p])));
    info.dataset.client = session.client;
    info.dataset.scopes = scopes.join(' ');
  }
  for (const node of $$('[data-scope]')) node.hidden = !can(node.dataset.scope);
  const note = $('#scope-note');
  let kind = '';
  if (session && !can('read')) kind = scopesKey(session) === 'sync' ? 'syncOnly' : 'noRead';
  else if (session && !can('operate')) kind = 'readOnly';
  note.dataset.kind = kind;
  if (kind) rich(note, t(`scope.${kind}`, { client: session.client || '?' }));
  show(note, !!kind);
}

/** Empty every table; the polled ones come back at the next refresh, the audit's from memory. */
function clearRows() {
  for (const tbody of $$('tbody')) tbody.replaceChildren();
  renderAudit();
  renderPerson();
}

// ---------------------------------------------------------------------------------------------
// Polling

function startPolling() {
  stopPolling();
  const gen = ++pollGeneration;
  const loop = async () => {
    if (gen !== pollGeneration) return;
    await refresh();
    if (gen === pollGeneration) pollTimer = setTimeout(loop, POLL_MS);
  };
  loop();
}

function stopPolling() {
  pollGeneration++;
  clearTimeout(pollTimer);
  pollTimer = null;
}

/**
 * One refresh of everything. A call while one is in flight (e.g. right after a Retry) runs one
 * more after it, so what it shows was read after the call was made.
 */
function refresh() {
  if (!refreshing) {
    refreshing = doRefresh().finally(() => { refreshing = null; });
    return refreshing;
  }
  if (!refreshAgain) {
    refreshAgain = refreshing.then(() => { refreshAgain = null; return refresh(); });
  }
  return refreshAgain;
}

// Humand's rate budget is exported to Prometheus (/metrics, on the API address unless
// metrics.listen moves it); read it from there every few seconds when /ready lacks it.
const METRICS_EVERY_MS = 6000;
let metricsBudget = null;
let metricsReadAt = 0;

function promGauge(textBody, name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([-+0-9.eE]+|NaN)(?:\\s+-?\\d+)?\\s*$`, 'm').exec(textBody);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) ? v : null;
}

async function readMetricsBudget() {
  if (Date.now() - metricsReadAt < METRICS_EVERY_MS) return;
  metricsReadAt = Date.now();
  const key = '/metrics';
  const until = unavailableUntil.get(key);
  if (until && until > Date.now()) return;
  try {
    const res = await api(key, { auth: false, raw: true });
    const body = await res.text();
    const remaining = promGauge(body, 'hikbridge_humand_budget_remaining');
    const limit = promGauge(body, 'hikbridge_humand_budget_limit');
    metricsBudget = remaining !== null && limit !== null ? { limit, remaining, reset: null, source: 'metrics' } : null;
  } catch (e) {
    metricsBudget = null;
    if (e.status === 404 || e.status === 405) unavailableUntil.set(key, Date.now() + OPTIONAL_RETRY_MS);
  }
}

async function doRefresh() {
  if (!token) return;
  if (sessionStale || !session) {
    sessionStale = false;
    try {
      setSession(await readSession());
    } catch (e) {
      if (!token) return;
      if (!session) {
        $('#error-banner').textContent = e.status === 0
          ? t('banner.unreachable', { message: e.message }) : t('banner.failed', { message: e.message });
        show($('#error-banner'), true);
        return;
      }
    }
  }
  if (!can('read')) {
    // A client without `read` (the SIAD frontend's) has no views: only the note shows.
    show($('#error-banner'), false);
    setPill($('#overall-status'), 'unknown', t('status.noViews'));
    return;
  }
  const metrics = readMetricsBudget();
  const auditRead = refreshAudit();
  const [ready, summary, parked, unmapped, rejected, jobs, outOfWindow, lifecycle] = await Promise.allSettled([
    api('/ready', { auth: false }).catch((e) => (e.status === 503 && e.body ? e.body : Promise.reject(e))),
    api('/admin/summary'),
    api('/admin/parked'),
    api('/admin/doors/unmapped'),
    optionalApi('/admin/rejected?limit=50'),
    optionalApi('/biometrico/jobs'),
    optionalApi('/admin/out-of-window?limit=50'),
    refreshLifecycle(),
  ]);
  await Promise.all([metrics, auditRead]);
  if (!token) return; // a 401 logged out meanwhile

  const failures = [ready, summary, parked, unmapped, rejected, jobs, outOfWindow, lifecycle]
    .filter((r) => r.status === 'rejected').map((r) => r.reason);
  const unreachable = failures.find((e) => e && e.status === 0);
  const banner = $('#error-banner');
  if (failures.length) {
    const e = unreachable || failures[0];
    banner.textContent = unreachable
      ? t('banner.unreachable', { message: e.message })
      : t('banner.failed', { message: e.message });
    show(banner, true);
  } else {
    show(banner, false);
  }

  const summaryV = summary.status === 'fulfilled' ? summary.value : null;
  const readyV = ready.status === 'fulfilled' ? ready.value : null;
  if (summaryV) renderCounts(summaryV);
  renderHealth(readyV, summaryV, unreachable);
  if (parked.status === 'fulfilled') renderParked(parked.value);
  if (unmapped.status === 'fulfilled') renderUnmapped(unmapped.value);
  if (rejected.status === 'fulfilled') renderRejected(rejected.value);
  if (outOfWindow.status === 'fulfilled') renderOutOfWindow(outOfWindow.value);
  if (jobs.status === 'fulfilled') renderJobs(jobs.value);
  if (lifecycle.status === 'fulfilled') renderLifecycle(lifecycle.value);

  if (!unreachable) {
    const now = new Date();
    const last = $('#last-update');
    last.textContent = t('status.updated', { time: now.toLocaleTimeString(locale()) });
    last.title = now.toISOString();
  }
}

// ---------------------------------------------------------------------------------------------
// Counts (GET /admin/summary)

function eventsStored(s) {
  const e = s.events;
  if (isObj(e)) return num(e.stored ?? e.total ?? e.count ?? e.accepted);
  if (e !== undefined) return num(e);
  return num(s.events_stored);
}

function eventsRejected(s) {
  const e = s.events;
  if (isObj(e) && e.rejected !== undefined) return num(e.rejected);
  if (s.rejected_events !== undefined) return num(isObj(s.rejected_events) ? s.rejected_events.count : s.rejected_events);
  if (s.events_rejected !== undefined) return num(s.events_rejected);
  return 0;
}

function setCount(name, value) {
  for (const node of $$(`[data-count="${name}"]`)) {
    const s = String(num(value));
    if (node.textContent !== s) node.textContent = s;
  }
}

function renderCounts(s) {
  const p = isObj(s.punches) ? s.punches : {};
  const parkedPunches = num(p.parked);
  const parkedEvents = num(s.parked_events);
  setCount('events', eventsStored(s));
  setCount('events-rejected', eventsRejected(s));
  setCount('punches-queued', p.queued);
  setCount('punches-sending', p.sending);
  setCount('punches-delivered', p.delivered);
  setCount('punches-dry-run', p.dry_run);
  setCount('punches-discarded', p.discarded);
  setCount('parked', parkedPunches + parkedEvents);
  setCount('parked-punches', parkedPunches);
  setCount('parked-events', parkedEvents);
  setCount('unmapped-doors', Array.isArray(s.unmapped_doors) ? s.unmapped_doors.length : s.unmapped_doors);
  $('#parked-card').classList.toggle('attention-on', parkedPunches + parkedEvents > 0);
  const outOfWindow = num(s.out_of_window_events);
  setCount('out-of-window', outOfWindow);
  $('#out-of-window-card').classList.toggle('attention-on', outOfWindow > 0);
}

// ---------------------------------------------------------------------------------------------
// Health (GET /ready, and delivery from /admin/summary)

/** Humand's rate budget if the server reports one: {limit, remaining, reset_secs}. */
function humandBudget(humand, summary) {
  const cands = [
    humand?.rate_limit, humand?.budget, humand?.ratelimit,
    summary?.humand?.rate_limit, summary?.humand?.budget, summary?.delivery?.rate_limit,
    summary?.delivery?.budget,
  ];
  const b = cands.find((c) => isObj(c) && c.limit !== undefined);
  if (!b) return metricsBudget;
  const limit = num(b.limit);
  const remaining = b.remaining !== undefined ? num(b.remaining) : (b.used !== undefined ? limit - num(b.used) : null);
  const reset = b.reset_secs ?? b.reset ?? b.window_resets_in_secs;
  return { limit, remaining, reset: reset === undefined ? null : num(reset) };
}

function renderUpstream(card, u) {
  if (!card) return;
  if (!isObj(u)) {
    setPill(card.querySelector('[data-field="status"]'), 'unknown');
    return;
  }
  const status = text(u.status, 'unknown');
  setPill(card.querySelector('[data-field="status"]'), status);
  const lastOk = setField(card, 'last_ok_at', u.last_ok_at ? localTime(u.last_ok_at) : t('health.never'));
  if (lastOk) lastOk.title = isoTitle(u.last_ok_at);
  const err = u.last_error ? `${u.last_error}${u.last_error_at ? ` (${localTime(u.last_error_at)})` : ''}` : t('health.none');
  setField(card, 'last_error', status === 'not_configured' ? t('health.notConfigured') : err);
  setField(card, 'consecutive_failures', String(num(u.consecutive_failures)));
}

function renderHealth(ready, summary, unreachable) {
  const overall = $('#overall-status');
  const delivery = isObj(summary?.delivery) ? summary.delivery : null;
  const upstreams = isObj(ready?.checks?.upstreams) ? ready.checks.upstreams : {};
  const hik = upstreams.hikcentral;
  const humand = upstreams.humand;
  const pausedReason = delivery?.paused_reason ?? humand?.delivery_paused ?? null;

  if (unreachable && !ready) {
    setPill(overall, 'unreachable');
  } else if (ready) {
    const st = text(ready.status, 'unknown');
    setPill(overall, st);
  }

  // HikCentral
  const hikCard = $('#health-hikcentral');
  renderUpstream(hikCard, hik);
  setField(hikCard, 'version', text(hik?.version, hik?.status === 'not_configured' ? t('health.notConfigured') : t('health.versionUnknown')));

  // Humand
  const humCard = $('#health-humand');
  renderUpstream(humCard, humand);
  const budget = humandBudget(humand, summary);
  const bar = $('#humand-budget');
  if (budget && budget.limit > 0 && budget.remaining !== null) {
    const used = Math.max(0, budget.limit - budget.remaining);
    setField(humCard, 'budget', t('health.budgetUsed', { used, limit: budget.limit })
      + (budget.reset !== null ? t('health.budgetResets', { secs: budget.reset }) : t('health.budgetWindow')));
    bar.max = budget.limit;
    bar.value = used;
    show(bar, true);
  } else {
    setField(humCard, 'budget', t('health.budgetNone'));
    show(bar, false);
  }

  // Delivery
  const dCard = $('#health-delivery');
  const dPill = dCard.querySelector('[data-field="status"]');
  if (delivery || pausedReason) {
    const running = delivery ? !!delivery.running : null;
    const state = pausedReason ? 'paused' : running === false ? 'stopped' : delivery?.dry_run ? 'dry_run' : 'running';
    setPill(dPill, state);
    setField(dCard, 'running', running === null ? '—' : running ? t('health.running') : t('health.notRunning'));
    setField(dCard, 'dry_run', delivery ? (delivery.dry_run ? t('health.dryRunYes') : t('health.no')) : '—');
    setField(dCard, 'paused', pausedReason
      ? t('health.pausedSince', { time: localTime(delivery?.paused_since), reason: pausedReason }) : t('health.no'));
  }
  const pb = $('#delivery-banner');
  if (pausedReason) {
    pb.textContent = t('banner.paused', {
      since: delivery?.paused_since ? t('banner.since', { time: localTime(delivery.paused_since) }) : '',
      reason: pausedReason,
    });
    show(pb, true);
  } else {
    show(pb, false);
  }

  // Service: store, workers, replica
  const sCard = $('#health-service');
  if (ready) {
    setPill(sCard.querySelector('[data-field="status"]'), text(ready.status, 'unknown'));
    const store = ready.checks?.store;
    setField(sCard, 'store', store ? `${text(store.backend, '')} ${text(store.status, '')}${store.error ? `: ${store.error}` : ''}`.trim() : '—');
    const workers = isObj(ready.checks?.workers?.workers) ? ready.checks.workers.workers : {};
    const names = Object.keys(workers);
    const bad = names.filter((n) => workers[n] && workers[n].running === false);
    setField(sCard, 'workers', names.length === 0 ? '—' : bad.length === 0
      ? t('health.workersRunning', { count: names.length })
      : t('health.workersStopped', { list: bad.map((n) => `${n}${workers[n].stopped_reason ? ` (${workers[n].stopped_reason})` : ''}`).join(', ') }));
    const c = ready.cluster;
    setField(sCard, 'cluster', c ? `${text(c.replica, '?')} (${text(c.role, '?')})` : '—');
  } else if (unreachable) {
    setPill(sCard.querySelector('[data-field="status"]'), 'unreachable');
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

/**
 * Bring a tbody in line with `items`, keyed, so unchanged rows (and focus in them) stay put.
 * `build(item)` returns a fresh <tr>; a row is rebuilt only when its item's JSON changed.
 */
function syncRows(tableId, items, keyOf, build, emptyText) {
  const table = document.getElementById(tableId);
  const tbody = table.tBodies[0];
  const existing = new Map();
  for (const tr of Array.from(tbody.rows)) existing.set(tr.dataset.key, tr);
  let prev = null;
  const seen = new Map();
  for (const item of items) {
    // Keys are made unique (a list may hold two rows alike, e.g. rejected events without id).
    const base = String(keyOf(item));
    const n = (seen.get(base) || 0) + 1;
    seen.set(base, n);
    const key = n > 1 ? `${base}#${n}` : base;
    const sig = JSON.stringify(item);
    let tr = existing.get(key);
    if (!tr || tr.dataset.sig !== sig) {
      const fresh = build(item);
      fresh.dataset.key = key;
      fresh.dataset.sig = sig;
      if (tr) {
        // Keep the keyboard focus on the same control of the rebuilt row.
        const focused = tr.contains(document.activeElement) ? document.activeElement.dataset.action : null;
        tr.replaceWith(fresh);
        if (focused) fresh.querySelector(`[data-action="${focused}"]`)?.focus();
      }
      tr = fresh;
    }
    existing.delete(key);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of existing.values()) tr.remove();
  const empty = document.querySelector(`[data-empty-for="${tableId}"]`);
  if (empty) {
    if (emptyText !== undefined) empty.textContent = emptyText;
    show(empty, items.length === 0);
  }
  show(table, items.length > 0);
}

/** A row's button, or null when the client's scopes do not allow its action (it is not shown). */
function actionButton(action, label, accessibleLabel, attrs = {}) {
  if (!can(ACTION_SCOPES[action] || 'admin')) return null;
  return el('button', { type: 'button', class: action === 'discard' ? 'danger small' : 'small', 'data-action': action, 'aria-label': accessibleLabel, ...attrs }, label);
}

/** The Actions cell of a row, only when its column shows (the client may operate). */
function actionCell(...buttons) {
  return can('operate') ? el('td', { class: 'actions' }, ...buttons) : null;
}

function renderParked(data) {
  const punches = Array.isArray(data?.punches) ? data.punches : [];
  const events = Array.isArray(data?.events) ? data.events : [];

  syncRows('parked-punches', punches, (p) => `p${p.id}`, (p) => {
    const message = humandMessage(p.response_body) || text(p.last_error, '');
    const answer = el('td', { class: 'wrap' });
    if (p.response_status !== null && p.response_status !== undefined) {
      answer.append(el('span', { class: 'code' }, `HTTP ${p.response_status}`), ' ');
    }
    answer.append(el('span', { class: 'humand-message' }, message || '—'));
    if (p.response_body && humandMessage(p.response_body) !== String(p.response_body)) {
      answer.append(el('details', {}, el('summary', {}, t('parked.fullAnswer')), el('pre', {}, String(p.response_body))));
    }
    const who = { id: p.id, employee: text(p.employee_id, '?') };
    return el('tr', { 'data-punch-id': p.id, 'data-state': text(p.state, ''), 'data-attempts': num(p.attempts) },
      td(p.id),
      td(p.employee_id),
      td(p.direction),
      timeCell(p.at_ms),
      td(p.door, { class: 'wrap' }),
      el('td', {}, el('span', { class: 'reason' }, text(p.park_reason))),
      answer,
      td(num(p.attempts)),
      actionCell(
        actionButton('retry', t('action.retry'), t('action.retryPunch', who)),
        actionButton('discard', t('action.discard'), t('action.discardPunch', who))),
    );
  }, t('parked.empty'));

  syncRows('parked-events', events, (e) => `e${e.event_id}`, (e) => el('tr', { 'data-event-id': e.event_id, 'data-state': text(e.state, '') },
    el('td', { class: 'mono wrap' }, text(e.event_id)),
    timeCell(e.happen_time || e.happen_at_ms),
    td(e.door_name || e.door_index, { class: 'wrap' }),
    td([e.person_code, e.person_id ? `personId ${e.person_id}` : null].filter(Boolean).join(' · ') || '—'),
    el('td', {}, el('span', { class: 'reason' }, text(e.reason))),
    td(e.detail, { class: 'wrap' }),
    actionCell(actionButton('retry-event', t('action.retry'), t('action.retryEvent', { id: e.event_id }))),
  ), t('parkedEvents.empty'));
}

function renderUnmapped(data) {
  const items = Array.isArray(data?.items) ? data.items : [];
  syncRows('unmapped-doors', items, (d) => `d${d.door_index}|${d.door_name}`, (d) => {
    // The handler's map_with reads `attendance.doors = ["code:11=entry"]  (or exit | toggle | ignore)`;
    // show the rule itself, plus the whole hint.
    const rule = /"((?:code|name):[^"]*)"/.exec(text(d.map_with, ''))?.[1]
      ?? (d.door_index ? `code:${d.door_index}=entry` : `name:${text(d.door_name, '')}=entry`);
    return el('tr', { 'data-door-index': text(d.door_index, '') },
      el('td', { class: 'mono wrap' }, text(d.door_index)),
      td(d.door_name, { class: 'wrap' }),
      td(num(d.events)),
      el('td', { class: 'wrap' }, el('code', { class: 'rule', title: text(d.map_with, '') }, rule),
        el('span', { class: 'muted' }, t('unmapped.orOther'))),
    );
  }, t('unmapped.empty'));
}

function renderRejected(data) {
  if (data === null) {
    $('#rejected-shown').textContent = '';
    syncRows('rejected-events', [], () => '', () => el('tr'), t('rejected.unavailable'));
    return;
  }
  const items = Array.isArray(data?.items) ? data.items : [];
  const total = num(data?.total);
  const caption = $('#rejected-shown');
  caption.textContent = total > items.length ? t('rejected.shown', { shown: items.length, total }) : '';
  syncRows('rejected-events', items, (r) => `r${r.id ?? ''}|${r.event_id ?? ''}|${r.received_at ?? r.received_at_ms ?? ''}`, (r) => el('tr', { 'data-event-id': text(r.event_id, '') },
    timeCell(r.received_at ?? r.received_at_ms),
    el('td', { class: 'mono wrap' }, text(r.event_id, t('rejected.noId'))),
    td(r.source),
    el('td', { class: 'wrap' }, text(r.reason),
      r.raw ? el('details', {}, el('summary', {}, t('rejected.raw')), el('pre', {}, String(r.raw))) : null),
  ), t('rejected.empty'));
}

function renderOutOfWindow(data) {
  if (data === null) {
    $('#out-of-window-shown').textContent = '';
    syncRows('out-of-window-events', [], () => '', () => el('tr'), t('outOfWindow.unavailable'));
    return;
  }
  const items = Array.isArray(data?.items) ? data.items : [];
  const total = num(data?.total);
  $('#out-of-window-shown').textContent = total > items.length ? t('outOfWindow.shown', { shown: items.length, total }) : '';
  syncRows('out-of-window-events', items, (e) => `w${e.event_id}`, (e) => el('tr', { 'data-event-id': e.event_id, 'data-state': text(e.state, '') },
    el('td', { class: 'mono wrap' }, text(e.event_id)),
    timeCell(e.happen_time || e.happen_at_ms),
    td(e.door_name || e.door_index, { class: 'wrap' }),
    td([e.person_code, e.person_id ? `personId ${e.person_id}` : null].filter(Boolean).join(' · ') || '—'),
    el('td', {}, el('span', { class: 'reason' }, text(e.reason))),
    td(e.detail, { class: 'wrap' }),
    actionCell(actionButton('admit-event', t('action.admit'), t('action.admitEvent', { id: e.event_id }))),
  ), t('outOfWindow.empty'));
}

const JOB_ACTIVE = new Set(['queued', 'running']);

function renderJobs(data) {
  if (data === null) {
    syncRows('jobs', [], () => '', () => el('tr'), t('jobs.unavailable'));
    return;
  }
  const items = Array.isArray(data?.items) ? data.items : Array.isArray(data?.jobs) ? data.jobs : Array.isArray(data) ? data : [];
  syncRows('jobs', items, (j) => `j${j.id}`, (j) => {
    const total = num(j.total);
    const done = num(j.done);
    const percent = j.percent !== undefined ? num(j.percent) : total > 0 ? Math.floor((done * 100) / total) : 100;
    const counts = isObj(j.counts) ? Object.entries(j.counts).map(([k, n]) => `${word('outcome', k)}: ${num(n)}`).join(', ') : '';
    const progress = el('td', { class: 'progress-cell' },
      el('progress', { max: Math.max(total, 1), value: total > 0 ? Math.min(done, total) : 1, 'aria-label': t('jobs.progressAria', { id: j.id, done, total }) }),
      el('span', { class: 'progress-text' }, `${done} / ${total} (${percent}%)`));
    if (j.current && (j.current.ci || j.current.name)) {
      progress.append(el('div', { class: 'muted small' }, t('jobs.now', { who: `${text(j.current.name, '')} ${text(j.current.ci, '')}`.trim() })));
    }
    const stateCell = el('td', {}, el('span', { class: pill(j.state).join(' ') }, word('state', text(j.state))));
    if (j.dryRun ?? j.dry_run) stateCell.append(' ', el('span', { class: 'pill pill-info' }, t('jobs.dryRun')));
    if (j.error) stateCell.append(el('div', { class: 'error-text wrap' }, text(j.error)));
    const actions = el('td', { class: 'actions' });
    const cancel = JOB_ACTIVE.has(j.state) ? actionButton('cancel', t('action.cancel'), t('action.cancelJob', { id: j.id })) : null;
    if (cancel) actions.append(cancel);
    actions.append(el('a', {
      href: `/biometrico/jobs/${encodeURIComponent(j.id)}/report.csv`, 'data-action': 'csv', class: 'button-link small',
      'aria-label': t('jobs.csvAria', { id: j.id }),
    }, 'CSV'));
    return el('tr', { 'data-job-id': j.id, 'data-state': text(j.state, '') },
      el('td', { class: 'mono', title: text(j.id) }, text(j.id).slice(0, 8)),
      td(word('kind', text(j.kind))),
      stateCell,
      progress,
      td(counts || '—', { class: 'wrap' }),
      timeCell(j.createdAt ?? j.created_at_ms),
      actions,
    );
  }, t('jobs.empty'));
}

// ---------------------------------------------------------------------------------------------
// The person lifecycle (GET /admin/lifecycle/runs; a run's problems from …/actions?problems=true)

const LC_ACTIVE = new Set(['planning', 'applying']);
const LC_DECIDABLE = new Set(['planned', 'held']);
const LC_ORDER = ['register', 'refresh_face', 'refresh_person', 'revoke', 'restore', 'erase', 'unmanaged', 'skip'];
const LC_BAD = new Set(['refused', 'failed', 'partial']);
/** The problems of the latest run, read again only when its counts change. */
let lcProblems = { key: '', items: [] };

function lcPill(state) {
  const cls = {
    applied: 'pill-ok', planned: 'pill-info', planning: 'pill-info', applying: 'pill-info',
    held: 'pill-warn', failed: 'pill-bad', cancelled: 'pill-unknown',
  }[state] || 'pill-unknown';
  return ['pill', cls];
}

/** "revoke 3 (ok 2, refused 1)" for each action of a run's counts, in the plan's order. */
function lcCountsLine(counts) {
  if (!isObj(counts)) return '—';
  const parts = [];
  for (const action of lcActions(counts)) {
    const by = counts[action];
    const total = Object.values(by).reduce((a, n) => a + num(n), 0);
    const detail = Object.entries(by).map(([k, n]) => `${word('lcOutcome', k)} ${num(n)}`).join(', ');
    parts.push(`${word('lcAction', action)} ${total} (${detail})`);
  }
  return parts.join(' · ') || '—';
}

function lcActions(counts) {
  return Object.keys(counts).sort((a, b) => {
    const ia = LC_ORDER.indexOf(a); const ib = LC_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

function lcWho(w) {
  if (!isObj(w)) return '—';
  return w.user ? `${text(w.client)} (${text(w.user)})` : text(w.client);
}

function lcProblemCount(counts) {
  if (!isObj(counts)) return 0;
  let n = 0;
  for (const by of Object.values(counts)) for (const [k, v] of Object.entries(by)) if (LC_BAD.has(k)) n += num(v);
  return n;
}

async function refreshLifecycle() {
  const data = await optionalApi('/admin/lifecycle/runs');
  const runs = Array.isArray(data?.runs) ? data.runs : [];
  const latest = runs[0] || null;
  if (latest && lcProblemCount(latest.counts) > 0) {
    const key = `${latest.id}|${JSON.stringify(latest.counts)}`;
    if (key !== lcProblems.key) {
      const items = await optionalApi(`/admin/lifecycle/runs/${encodeURIComponent(latest.id)}/actions?problems=true&limit=50`);
      lcProblems = { key, items: Array.isArray(items) ? items : [] };
    }
  } else {
    lcProblems = { key: '', items: [] };
  }
  return data;
}

function renderLifecycle(data) {
  const section = $('#lifecycle-section');
  if (data === null) {
    // An older server without the lifecycle: the section says so and offers nothing.
    syncRows('lifecycle-runs', [], () => '', () => el('tr'), t('lifecycle.unavailable'));
    show($('#lifecycle-latest'), false);
    show($('#lifecycle-halt'), false);
    return;
  }
  const runs = Array.isArray(data?.runs) ? data.runs.slice(0, 10) : [];
  section.dataset.runs = String(runs.length);

  const halt = $('#lifecycle-halt');
  show(halt, !!data?.erasure_halt);
  if (data?.erasure_halt) $('#lifecycle-halt-text').textContent = t('lifecycle.halted', { message: text(data.erasure_halt) });
  show($('#lc-lift-halt'), !!data?.erasure_halt && can('admin'));

  const latest = runs[0] || null;
  show($('#lifecycle-latest'), !!latest);
  if (latest) {
    const box = $('#lifecycle-latest');
    box.dataset.runId = latest.id;
    box.dataset.state = text(latest.state, '');
    $('#lifecycle-latest-line').replaceChildren(
      el('span', { class: lcPill(latest.state).join(' '), 'data-field': 'state' }, word('lcState', text(latest.state))), ' ',
      el('span', { class: 'mono', title: text(latest.id) }, text(latest.id).slice(0, 8)), ' · ',
      word('lcKind', text(latest.kind)), ' · ',
      t('lifecycle.createdBy', { who: lcWho(latest.created_by) }), ' · ',
      localTime(latest.created_at_ms),
      latest.approved_by ? ` · ${t('lifecycle.approvedBy', { who: lcWho(latest.approved_by) })}` : '',
      latest.note ? el('div', { class: 'muted small wrap' }, text(latest.note)) : '',
    );
    const held = $('#lifecycle-latest-held');
    show(held, latest.state === 'held');
    if (latest.state === 'held') held.textContent = t('lifecycle.heldBecause', { reason: text(latest.held_reason) });
    const err = $('#lifecycle-latest-error');
    show(err, !!latest.error);
    if (latest.error) err.textContent = text(latest.error);
    const counts = isObj(latest.counts) ? latest.counts : {};
    // Each row carries its counts, so a row whose numbers changed (this run progressing, or
    // another run) is drawn anew.
    const rows = lcActions(counts).map((a) => ({ a, by: counts[a] }));
    syncRows('lifecycle-counts', rows, (r) => `c${r.a}`, ({ a, by }) => {
      const total = Object.values(by).reduce((x, n) => x + num(n), 0);
      const outcomes = el('td', { class: 'wrap' });
      for (const [k, n] of Object.entries(by)) {
        outcomes.append(el('span', { class: LC_BAD.has(k) ? 'pill pill-bad' : k === 'ok' ? 'pill pill-ok' : 'pill pill-unknown', 'data-outcome': k }, `${word('lcOutcome', k)}: ${num(n)}`), ' ');
      }
      return el('tr', { 'data-action-kind': a }, td(word('lcAction', a)), td(String(total), { class: 'num' }), outcomes);
    }, t('lifecycle.noActions'));
    syncRows('lifecycle-problems', lcProblems.items, (p) => `p${p.position}`, (p) => {
      const hik = [p.upstream_code ? `code ${p.upstream_code}` : null, p.upstream_msg ? text(p.upstream_msg) : null].filter(Boolean).join(': ');
      return el('tr', { 'data-ci': text(p.ci, '') },
        td(p.ci), td(word('lcAction', text(p.action))),
        el('td', {}, el('span', { class: 'pill pill-bad' }, word('lcOutcome', text(p.outcome, p.state)))),
        td(hik || '—', { class: 'wrap' }), td(p.detail, { class: 'wrap' }));
    }, t('lifecycle.noProblems'));
  }

  syncRows('lifecycle-runs', runs, (r) => `l${r.id}`, (r) => {
    const stateCell = el('td', {}, el('span', { class: lcPill(r.state).join(' ') }, word('lcState', text(r.state))));
    if (r.held_reason) stateCell.append(el('div', { class: 'muted small wrap' }, text(r.held_reason)));
    if (r.error) stateCell.append(el('div', { class: 'error-text wrap' }, text(r.error)));
    const actions = el('td', { class: 'actions' });
    if (LC_DECIDABLE.has(r.state)) {
      const approve = actionButton('lc-apply', r.state === 'held' ? t('action.approve') : t('action.apply'),
        t('action.applyRun', { id: text(r.id).slice(0, 8) }));
      if (approve) actions.append(approve, ' ');
    }
    if (LC_DECIDABLE.has(r.state) || LC_ACTIVE.has(r.state)) {
      const discard = actionButton('lc-discard', LC_ACTIVE.has(r.state) ? t('action.cancel') : t('action.discard'),
        t('action.discardRun', { id: text(r.id).slice(0, 8) }));
      if (discard) actions.append(discard, ' ');
    }
    actions.append(el('a', {
      href: `/admin/lifecycle/runs/${encodeURIComponent(r.id)}/actions.csv`, 'data-action': 'lc-csv', class: 'button-link small',
      'aria-label': t('lifecycle.csvAria', { id: text(r.id).slice(0, 8) }),
    }, 'CSV'));
    return el('tr', { 'data-run-id': r.id, 'data-state': text(r.state, '') },
      el('td', { class: 'mono', title: text(r.id) }, text(r.id).slice(0, 8)),
      td(word('lcKind', text(r.kind))),
      stateCell,
      td(lcCountsLine(r.counts), { class: 'wrap' }),
      timeCell(r.created_at_ms),
      td(lcWho(r.created_by)),
      actions,
    );
  }, t('lifecycle.empty'));
}

async function onApplyRun(row, button) {
  const id = row.dataset.runId;
  const held = row.dataset.state === 'held';
  if (!window.confirm(t(held ? 'notice.runApproveConfirm' : 'notice.runApplyConfirm', { id: id.slice(0, 8) }))) return;
  button.disabled = true;
  try {
    await api(`/admin/lifecycle/runs/${encodeURIComponent(id)}/apply`, { method: 'POST' });
    notice(t('notice.runApplying', { id: id.slice(0, 8) }));
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.runActionFailed', { id: id.slice(0, 8), message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onDiscardRun(row, button) {
  const id = row.dataset.runId;
  if (!window.confirm(t('notice.runDiscardConfirm', { id: id.slice(0, 8) }))) return;
  button.disabled = true;
  try {
    await api(`/admin/lifecycle/runs/${encodeURIComponent(id)}/discard`, { method: 'POST' });
    notice(t('notice.runDiscarded', { id: id.slice(0, 8) }));
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.runActionFailed', { id: id.slice(0, 8), message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onStartRun(apply) {
  try {
    const r = await api('/admin/lifecycle/runs', { method: 'POST', body: { apply } });
    notice(t('notice.runStarted', { id: text(r?.id).slice(0, 8) }));
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.runStartFailed', { message: e.message }), 'error');
  } finally {
    refresh();
  }
}

async function onLiftHalt() {
  if (!window.confirm(t('notice.haltLiftConfirm'))) return;
  try {
    await api('/admin/lifecycle/erasure-halt', { method: 'DELETE' });
    notice(t('notice.haltLifted'));
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.runStartFailed', { message: e.message }), 'error');
  } finally {
    refresh();
  }
}

async function onDownloadRunCsv(row, link) {
  const id = row.dataset.runId;
  try {
    await download(link.getAttribute('href'), `lifecycle-${id}.csv`);
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.csvFailed', { id: id.slice(0, 8), message: e.message }), 'error');
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

async function onRetryPunch(row, button) {
  const id = row.dataset.punchId;
  button.disabled = true;
  try {
    const r = await api(`/admin/punches/${encodeURIComponent(id)}/retry`, { method: 'POST' });
    row.dataset.state = text(r?.state, 'queued');
    row.classList.add('pending');
    notice(t('notice.punchQueued', { id }));
  } catch (e) {
    if (e.status === 401) return;
    notice(e.status === 409 ? t('notice.punchNotParked', { id }) : t('notice.punchRetryFailed', { id, message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onDiscardPunch(row, button) {
  const id = row.dataset.punchId;
  if (!window.confirm(t('notice.punchDiscardConfirm', { id }))) return;
  button.disabled = true;
  try {
    await api(`/admin/punches/${encodeURIComponent(id)}/discard`, { method: 'POST' });
    row.dataset.state = 'discarded';
    notice(t('notice.punchDiscarded', { id }));
  } catch (e) {
    if (e.status === 401) return;
    notice(e.status === 409 ? t('notice.punchNotParked', { id }) : t('notice.punchDiscardFailed', { id, message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onRetryEvent(row, button) {
  const id = row.dataset.eventId;
  button.disabled = true;
  try {
    await api(`/admin/events/${encodeURIComponent(id)}/retry`, { method: 'POST' });
    notice(t('notice.eventQueued', { id }));
  } catch (e) {
    if (e.status === 401) return;
    notice(e.status === 409 ? t('notice.eventNotParked', { id }) : t('notice.eventRetryFailed', { id, message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onAdmitEvent(row, button) {
  const id = row.dataset.eventId;
  if (!window.confirm(t('notice.eventAdmitConfirm', { id }))) return;
  button.disabled = true;
  try {
    await api(`/admin/events/${encodeURIComponent(id)}/admit`, { method: 'POST' });
    notice(t('notice.eventAdmitted', { id }));
  } catch (e) {
    if (e.status === 401) return;
    notice(e.status === 409 ? t('notice.eventNotOutOfWindow', { id }) : t('notice.eventAdmitFailed', { id, message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function onCancelJob(row, button) {
  const id = row.dataset.jobId;
  if (!window.confirm(t('notice.jobCancelConfirm', { id }))) return;
  button.disabled = true;
  try {
    await api(`/biometrico/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    notice(t('notice.jobCancelled', { id: id.slice(0, 8) }));
  } catch (e) {
    if (e.status === 401) return;
    notice(e.status === 409 ? t('notice.jobEnded', { id: id.slice(0, 8) }) : t('notice.jobCancelFailed', { message: e.message }), 'error');
  } finally {
    button.disabled = false;
    refresh();
  }
}

/**
 * Download `path` as the file `name`: fetched with the bearer header (the token never goes in a
 * URL), then saved from a Blob.
 */
async function download(path, name) {
  const res = await api(path, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function onDownloadCsv(row, link) {
  const id = row.dataset.jobId;
  try {
    await download(link.getAttribute('href'), `sync-job-${id}.csv`);
  } catch (e) {
    if (e.status === 401) return;
    notice(t('notice.csvFailed', { id: id.slice(0, 8), message: e.message }), 'error');
  }
}

function onTableClick(ev) {
  const target = ev.target.closest('[data-action]');
  if (!target || target.disabled) return;
  if (ACTION_SCOPES[target.dataset.action] && !can(ACTION_SCOPES[target.dataset.action])) return;
  const row = target.closest('tr');
  if (!row) return;
  switch (target.dataset.action) {
    case 'retry': onRetryPunch(row, target); break;
    case 'discard': onDiscardPunch(row, target); break;
    case 'retry-event': onRetryEvent(row, target); break;
    case 'admit-event': onAdmitEvent(row, target); break;
    case 'cancel': onCancelJob(row, target); break;
    case 'csv': ev.preventDefault(); onDownloadCsv(row, target); break;
    case 'lc-apply': onApplyRun(row, target); break;
    case 'lc-discard': onDiscardRun(row, target); break;
    case 'lc-csv': ev.preventDefault(); onDownloadRunCsv(row, target); break;
    default: break;
  }
}

// ---------------------------------------------------------------------------------------------
// One employee's day (GET /admin/timeline/{employee}/{YYYY-MM-DD})

async function showTimeline(ev) {
  ev.preventDefault();
  const employee = $('#tl-employee').value.trim();
  const day = $('#tl-day').value.trim();
  const msg = $('#timeline-message');
  if (!employee || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    msg.textContent = t('timeline.need');
    return;
  }
  msg.textContent = t('timeline.loading');
  try {
    const data = await api(`/admin/timeline/${encodeURIComponent(employee)}/${encodeURIComponent(day)}`);
    const rows = Array.isArray(data?.timeline) ? data.timeline : [];
    const zone = text(data?.time_zone, t('timeline.serviceZone'));
    msg.textContent = rows.length
      ? t('timeline.found', { count: rows.length, employee: text(data.employee, employee), day: text(data.day, day), zone })
      : t('timeline.none', { employee, day, zone });
    syncRows('timeline', rows, (r) => `t${r.event_id}`, (r) => {
      const p = isObj(r.punch) ? r.punch : null;
      const decision = el('td', {}, el('span', { class: 'reason' }, text(r.decision, r.state ? String(r.state) : '—')));
      const why = el('td', { class: 'wrap' });
      if (r.reason) why.append(el('span', { class: 'reason' }, text(r.reason)), ' ');
      if (r.detail) why.append(el('span', {}, text(r.detail)));
      if (!r.reason && !r.detail) why.textContent = '—';
      const humand = el('td', { class: 'wrap' });
      if (p) {
        if (p.humand_entry_id) humand.append(el('span', {}, t('timeline.entry', { id: p.humand_entry_id })));
        else if (p.response_status !== null && p.response_status !== undefined) humand.append(`HTTP ${p.response_status} `, humandMessage(p.response_body));
        else if (p.last_error) humand.append(text(p.last_error));
        else humand.textContent = '—';
      } else {
        humand.textContent = '—';
      }
      return el('tr', { 'data-event-id': text(r.event_id, ''), 'data-punch-id': p ? p.id : undefined },
        el('td', { title: text(r.event_id, '') }, localTime(r.happen_time)),
        td(r.door, { class: 'wrap' }),
        td(r.event_type),
        td(r.source),
        decision,
        why,
        td(p ? `#${p.id} ${text(p.direction, '')} ${localTime(p.at_ms)}` : t('timeline.noPunch'), { class: 'wrap' }),
        el('td', {}, p ? el('span', { class: pill(p.state).join(' ') }, word('state', text(p.state))) : '—'),
        td(p ? num(p.attempts) : '—'),
        humand,
      );
    });
    show($('#timeline-wrap'), rows.length > 0);
  } catch (e) {
    if (e.status === 401) return;
    show($('#timeline-wrap'), false);
    msg.textContent = t('timeline.failed', { message: e.message });
  }
}

// ---------------------------------------------------------------------------------------------
// The audit log (GET /admin/audit and /admin/audit.csv) and one person's history
// (GET /admin/people/{ci}/history)

/** The actions the service records (store/audit.rs, AuditAction). */
const AUDIT_ACTIONS = [
  'service_start', 'http_request',
  'person_register', 'person_face_update', 'person_refresh', 'person_revoke', 'person_restore',
  'person_erase', 'person_erase_request', 'person_erase_lift', 'person_photo_view',
  'punch_retry', 'punch_discard', 'event_retry', 'event_admit', 'event_redecide',
  'override_set', 'override_delete', 'override_import', 'job_create', 'job_cancel',
  'run_create', 'run_apply', 'run_discard', 'audit_prune',
];
const AUDIT_PAGE = 50;
/** While the newest page shows, it is read again this often (older pages stay as read). */
const AUDIT_EVERY_MS = 10000;
const OUTCOME_PILL = { ok: 'pill-ok', refused: 'pill-warn', failed: 'pill-bad', denied: 'pill-bad' };

const audit = {
  filters: {}, // applied: actor, action, target, outcome, since and until (RFC 3339)
  before: null, // the page shown holds the rows older than this seq; null: the newest
  newer: [], // the `before` of each page between it and the newest
  data: null, // the page shown, as read
  readAt: 0,
  generation: 0, // a read answered after a newer one started is dropped
  person: null, // the person's history shown
};

/** The groups of actions that share a first word (person_*, punch_* …). */
function auditGroups() {
  const counts = new Map();
  for (const a of AUDIT_ACTIONS) {
    const g = a.split('_')[0];
    counts.set(g, (counts.get(g) || 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([g]) => g);
}

/** The action select, in the current language, keeping what is chosen. */
function fillAuditActions() {
  const select = $('#au-action');
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('audit.any')),
    el('optgroup', { label: t('audit.groups') },
      auditGroups().map((g) => el('option', { value: `${g}_*` }, `${word('auditGroup', g)} (${g}_*)`))),
    el('optgroup', { label: t('audit.actions') },
      AUDIT_ACTIONS.map((a) => el('option', { value: a }, `${word('auditAction', a)} (${a})`))),
  );
  select.value = chosen;
}

/** The form's filters; throws with a message for a date the browser cannot read. */
function readAuditForm() {
  const value = (sel) => $(sel).value.trim();
  const f = {};
  for (const [key, sel] of [['actor', '#au-actor'], ['action', '#au-action'], ['target', '#au-target'], ['outcome', '#au-outcome']]) {
    if (value(sel)) f[key] = value(sel);
  }
  for (const [key, sel] of [['since', '#au-since'], ['until', '#au-until']]) {
    const raw = value(sel);
    if (!raw) continue;
    const d = new Date(raw); // a datetime-local value: this browser's local time
    if (Number.isNaN(d.getTime())) throw new Error(t('audit.badTime', { value: raw }));
    f[key] = d.toISOString();
  }
  return f;
}

function auditQuery(filters, before, limit) {
  const q = new URLSearchParams(filters);
  if (before !== null && before !== undefined) q.set('before', String(before));
  if (limit) q.set('limit', String(limit));
  return q.toString();
}

async function loadAudit(quiet = false) {
  const generation = ++audit.generation;
  const msg = $('#audit-message');
  audit.readAt = Date.now();
  if (!quiet) msg.textContent = t('audit.loading');
  try {
    const data = await api(`/admin/audit?${auditQuery(audit.filters, audit.before, AUDIT_PAGE)}`);
    if (generation !== audit.generation) return;
    audit.data = isObj(data) ? data : { rows: [], next_before: null };
    msg.textContent = '';
    renderAudit();
  } catch (e) {
    if (generation !== audit.generation || e.status === 401) return;
    msg.textContent = t('audit.failed', { message: e.message });
  }
}

/** From the refresh: the newest page, at most every AUDIT_EVERY_MS. */
function refreshAudit() {
  if (audit.before !== null || Date.now() - audit.readAt < AUDIT_EVERY_MS) return Promise.resolve();
  return loadAudit(true);
}

function applyAuditFilters() {
  try {
    audit.filters = readAuditForm();
  } catch (e) {
    $('#audit-message').textContent = e.message;
    return;
  }
  audit.before = null;
  audit.newer = [];
  loadAudit();
}

function auditRow(r) {
  const target = el('td', { class: 'wrap target' });
  if (r.target_kind) target.append(el('span', { class: 'muted' }, word('targetKind', r.target_kind)), ' ');
  target.append(el('span', { class: 'mono' }, text(r.target)));
  // The chain's facts are for checking, not reading: folded away.
  const record = el('details', { class: 'record' }, el('summary', {}, t('audit.record')),
    el('dl', {},
      el('dt', {}, t('audit.seq')), el('dd', { class: 'mono' }, text(r.seq)),
      el('dt', {}, t('audit.requestId')), el('dd', { class: 'mono' }, text(r.request_id)),
      el('dt', {}, t('audit.remote')), el('dd', { class: 'mono' }, text(r.remote_addr)),
      el('dt', {}, t('audit.hash')), el('dd', { class: 'mono' }, text(r.hash)),
      el('dt', {}, t('audit.prevHash')), el('dd', { class: 'mono' }, text(r.prev_hash))));
  const action = text(r.action, '');
  return el('tr', {
    'data-seq': r.seq, 'data-audit-action': action, 'data-outcome': text(r.outcome, ''),
    'data-client': text(r.client, ''), 'data-target': text(r.target, ''),
  },
    timeCell(r.at ?? r.at_ms),
    td(r.client, { class: 'wrap' }),
    td(r.acting_user),
    td(r.scope),
    el('td', { title: action }, word('auditAction', action)),
    target,
    el('td', {}, el('span', { class: `pill ${OUTCOME_PILL[r.outcome] || 'pill-unknown'}` }, word('auditOutcome', text(r.outcome, '')))),
    el('td', { class: 'wrap' }, text(r.detail, ''), record),
  );
}

function renderAudit() {
  const data = audit.data;
  const rows = Array.isArray(data?.rows) ? data.rows : [];
  syncRows('audit', rows, (r) => `a${r.seq}`, auditRow, t('audit.empty'));
  if (!data) show($('[data-empty-for="audit"]'), false);
  $('#audit-page').textContent = data ? t('audit.page', { page: audit.newer.length + 1, count: rows.length }) : '';
  $('#au-newer').disabled = audit.newer.length === 0;
  $('#au-older').disabled = data?.next_before === null || data?.next_before === undefined;
}

async function onAuditCsv() {
  let filters;
  try {
    filters = readAuditForm();
  } catch (e) {
    $('#audit-message').textContent = e.message;
    return;
  }
  // The file holds what the table shows: the same filters, every page.
  if (JSON.stringify(filters) !== JSON.stringify(audit.filters)) applyAuditFilters();
  const button = $('#au-csv');
  button.disabled = true;
  try {
    await download(`/admin/audit.csv?${auditQuery(filters, null, 0)}`, `audit-${todayLocal()}.csv`);
  } catch (e) {
    if (e.status !== 401) notice(t('audit.csvFailed', { message: e.message }), 'error');
  } finally {
    button.disabled = false;
  }
}

async function showPerson(ev) {
  ev.preventDefault();
  const ci = $('#ph-ci').value.trim();
  const msg = $('#person-message');
  if (!/^[A-Za-z0-9]{1,32}$/.test(ci)) {
    msg.textContent = t('person.need');
    return;
  }
  msg.textContent = t('person.loading');
  try {
    const data = await api(`/admin/people/${encodeURIComponent(ci)}/history`);
    audit.person = isObj(data) ? data : null;
    renderPerson();
  } catch (e) {
    if (e.status === 401) return;
    audit.person = null;
    renderPerson();
    msg.textContent = t('person.failed', { message: e.message });
  }
}

function renderPerson() {
  const p = audit.person;
  show($('#person-wrap'), !!p);
  if (!p) return;
  const rows = Array.isArray(p.history) ? p.history : [];
  const ci = text(p.ci);
  $('#person-message').textContent = rows.length ? t('person.found', { count: rows.length, ci }) : t('person.none', { ci });
  const facts = $('#person-facts');
  setField(facts, 'ci', ci);
  setField(facts, 'person_id', text(p.person_id, t('person.notRegistered')));
  setField(facts, 'person_type', text(p.person_type));
  const outcome = setField(facts, 'last_outcome', p.last_outcome ? word('ledger', p.last_outcome) : '—');
  outcome.title = text(p.last_outcome, '');
  setField(facts, 'last_sync', localTime(p.last_sync_at ?? p.last_sync_at_ms));
  syncRows('person-history', rows, (r) => `h${r.seq}`, auditRow, t('person.empty'));
}

/** Forget what a previous sign-in read and typed. */
function resetAudit() {
  Object.assign(audit, { filters: {}, before: null, newer: [], data: null, readAt: 0, person: null });
  audit.generation++;
  $('#audit-form').reset();
  $('#person-form').reset();
  $('#audit-message').textContent = '';
  $('#person-message').textContent = '';
}

function initAudit() {
  $('#audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); applyAuditFilters(); });
  $('#au-clear').addEventListener('click', () => { $('#audit-form').reset(); applyAuditFilters(); });
  $('#au-csv').addEventListener('click', onAuditCsv);
  $('#au-older').addEventListener('click', () => {
    const next = audit.data?.next_before;
    if (next === null || next === undefined) return;
    audit.newer.push(audit.before);
    audit.before = next;
    loadAudit();
  });
  $('#au-newer').addEventListener('click', () => {
    if (audit.newer.length === 0) return;
    audit.before = audit.newer.pop();
    loadAudit();
  });
  $('#person-form').addEventListener('submit', showPerson);
}

// ---------------------------------------------------------------------------------------------
// Start

function todayLocal() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Speak `lang` (chosen with the switch, or the first one): fixed texts now, rows rebuilt. */
function useLanguage(lang, remember) {
  setLanguage(lang, remember);
  $('#language').value = language();
  applyStatic();
  fillAuditActions();
  renderSession();
  // Rows are rebuilt only when their data changes: drop them so they come back in `lang`.
  clearRows();
  if (token) refresh();
}

function init() {
  useLanguage(initialLanguage(), false);
  setPill($('#overall-status'), 'unknown', t('status.connecting'));
  $('#language').addEventListener('change', (ev) => useLanguage(ev.target.value, true));
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const typed = $('#token').value.trim();
    if (!typed) return;
    const msg = $('#login-message');
    msg.textContent = t('login.checking');
    token = typed;
    try {
      // Any client may read its own session, the SIAD frontend's (sync only) too.
      login(typed, await readSession());
    } catch (e) {
      if (e.status !== 401) {
        token = null;
        msg.textContent = t('login.failed', { message: e.message });
      }
    }
  });
  $('#logout').addEventListener('click', () => logout(t('login.signedOut')));
  $('#app-view').addEventListener('click', onTableClick);
  $('#timeline-form').addEventListener('submit', showTimeline);
  $('#lc-plan').addEventListener('click', () => onStartRun(false));
  $('#lc-run').addEventListener('click', () => onStartRun(true));
  $('#lc-lift-halt').addEventListener('click', onLiftHalt);
  initAudit();
  $('#tl-day').value = todayLocal();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && token) refresh();
  });

  const fromFragment = readFragmentToken();
  const given = fromFragment || storedToken();
  if (given) resume(given); else logout('');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
