// Browser test of the hikbridge operator dashboard, in Debian's headless Chromium.
//
//   DASHBOARD_URL='http://127.0.0.1:8080/#token=<api token>' node dashboard.test.mjs
//
// The service behind DASHBOARD_URL must be receiving events (so the event count grows, or a
// punch has been delivered) and must have, or soon have, a parked punch and an event outside
// the time window (the demo pushes one from a reader offline for weeks). The test: opens the
// page, checks it signed in with the fragment's token (and removed it from the address bar),
// waits for live counts, waits for a parked punch, presses its Retry, and checks the punch
// leaves the parked list or is tried again (its attempts grow: Humand parked it again); then
// waits for the out-of-window event, presses its Admit, and checks it leaves that list. The
// browser asks for Spanish (locale es-EC, as the frontend's users): the page must start in
// Spanish, have every text in both languages, and switch to English and back with its switch.
// Then the session and the audit log: the top bar names the client and its scopes as
// GET /admin/session gave them; the audit view lists the Retry and Admit just made, a filter
// (action event_*) narrows it, the CSV comes with the same filters and the token in a header,
// and a CI's history shows what /admin/people/{ci}/history says. The lifecycle view shows the
// demo's first run (planned, then approved by the demo) and the next period's run; a held plan is
// approved with its Approve, the run is applied (revocations, registrations, a refreshed face and
// person, a restored student), its per-action counts match the API and its CSV has every action.
// With DASHBOARD_READONLY_URL (a client with only `read`): the views show and every action is
// hidden; a call refused with 403 (the page told it may operate) shows the server's message and
// the page then hides the action; the denied calls are listed, and paged, in the audit view.
// With DASHBOARD_SYNC_URL (only `sync`, the SIAD frontend's token): sign-in works and only the
// note shows, with no reads. The other steps read structure (ids, data attributes), never words.
//
// Environment: DASHBOARD_URL (required), DASHBOARD_READONLY_URL and DASHBOARD_SYNC_URL
// (run-demo.sh passes the demo's), CHROMIUM (default /usr/bin/chromium), WAIT_MS (each wait,
// default and at most 60000), SCREENSHOT (a PNG path written at the end or on failure; the
// audit view goes next to it as …-audit.png). Exit 0 on success; otherwise 1 with the failed
// step and why.

import { chromium } from 'playwright-core';

const url = process.env.DASHBOARD_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = Math.min(Math.max(Number(process.env.WAIT_MS) || 60000, 1000), 60000);
const readOnlyUrl = process.env.DASHBOARD_READONLY_URL || '';
const syncUrl = process.env.DASHBOARD_SYNC_URL || '';
const screenshot = process.env.SCREENSHOT || '';
// Everything together stays bounded even if a step misbehaves.
const OVERALL_MS = 20 * WAIT + 30000;
const OPERATE_ACTIONS = ['retry', 'discard', 'retry-event', 'admit-event', 'cancel', 'lc-apply', 'lc-discard'];

let passed = 0;
let failed = 0;
const log = (msg) => console.log(`dashboard-test: ${msg}`);

async function step(name, fn) {
  const started = Date.now();
  try {
    const out = await fn();
    passed++;
    log(`ok   ${name} (${Date.now() - started} ms)`);
    return out;
  } catch (e) {
    failed++;
    const why = (e && e.message ? e.message : String(e)).split('\n')[0];
    const err = new Error(`step "${name}" failed after ${Date.now() - started} ms: ${why}`);
    err.reported = true;
    throw err;
  }
}

/** The numbers of the count cards, as the page shows them (NaN when not a plain number). */
function readCounts() {
  const out = {};
  for (const node of document.querySelectorAll('[data-count]')) {
    const t = node.textContent;
    out[node.dataset.count] = /^\d+$/.test(t) ? Number(t) : NaN;
  }
  return out;
}

/** The token in a dashboard URL's fragment. */
function tokenOf(address) {
  const m = /#(?:.*&)?token=([^&]*)/.exec(address);
  return m ? decodeURIComponent(m[1]) : '';
}

/** The audit rows the page shows: seq, action, client, outcome. */
function readAuditRows(tableId) {
  return Array.from(document.querySelectorAll(`#${tableId} tbody tr[data-seq]`)).map((tr) => ({
    seq: Number(tr.dataset.seq),
    action: tr.dataset.auditAction,
    client: tr.dataset.client,
    outcome: tr.dataset.outcome,
    target: tr.dataset.target,
  }));
}

/** Rows of a CSV text (quoted fields with commas, quotes and line breaks allowed). */
function parseCsv(textBody) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < textBody.length; i++) {
    const c = textBody[i];
    if (quoted) {
      if (c === '"' && textBody[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && textBody[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

const AUDIT_FILTERS = ['actor', 'action', 'target', 'outcome', 'since', 'until'];

/**
 * Press the audit form's Search and wait for the page's GET /admin/audit answer with `filters`
 * (each one not given must be absent) and its rows in the table.
 */
async function searchAudit(page, filters = {}) {
  const answer = page.waitForResponse((r) => {
    const u = new URL(r.url());
    return u.pathname === '/admin/audit' && !u.searchParams.has('before')
      && AUDIT_FILTERS.every((k) => u.searchParams.get(k) === (filters[k] ?? null));
  }, { timeout: WAIT });
  await page.click('#au-search');
  const res = await answer;
  if (res.status() !== 200) throw new Error(`GET ${res.url()} answered ${res.status()}: ${await res.text()}`);
  const body = await res.json();
  // The table shows the answer once rendered.
  await page.waitForFunction((n) => document.querySelectorAll('#audit tbody tr[data-seq]').length === n
    && document.querySelector('#audit-message')?.textContent === '', body.rows.length, { timeout: WAIT, polling: 100 });
  return { url: new URL(res.url()), body };
}

/** A page of its own (own tab storage) signed in with `address`; resolves once it refreshed. */
async function openSignedIn(browser, address, { session } = {}) {
  const context = await browser.newContext({ locale: 'es-EC', acceptDownloads: true });
  const p = await context.newPage();
  p.setDefaultTimeout(WAIT);
  p.on('dialog', (d) => d.accept());
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  const requests = [];
  p.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  if (session) {
    // Answer the first GET /admin/session with `session` (as if the scopes changed after it
    // was read); later ones reach the server.
    let answered = false;
    await p.route('**/admin/session', (route) => {
      if (answered) return route.continue();
      answered = true;
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(session) });
    });
  }
  await p.goto(address, { waitUntil: 'domcontentloaded', timeout: WAIT });
  await p.waitForFunction(() => !document.querySelector('#app-view')?.hidden, null, { timeout: WAIT, polling: 100 });
  return { page: p, context, errors, requests };
}

/** The page's fixed texts (headings, column heads, hints, labels, empty lists, buttons), in order. */
function fixedTexts() {
  const sel = 'h2, h3, th, .hint, .count-label, .count-detail, label, .empty, button:not([data-action])';
  return Array.from(document.querySelectorAll(sel)).filter((n) => !n.closest('tbody'))
    .map((n) => n.textContent.replace(/\s+/g, ' ').trim());
}

/** Texts that read the same in both languages: names, not words. */
const SAME_IN_BOTH = /^(HikCentral|Humand)\b/;

async function main() {
  if (!url) throw new Error('set DASHBOARD_URL to the dashboard address with #token=<api token>, e.g. http://127.0.0.1:8080/#token=secret');
  if (!/#(.*&)?token=/.test(url)) throw new Error('DASHBOARD_URL must carry the token in its fragment: …/#token=<api token>');

  const browser = await chromium.launch({ executablePath, headless: true, timeout: WAIT });
  const problems = [];
  let page;
  try {
    const context = await browser.newContext({ acceptDownloads: true, locale: 'es-EC' });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => problems.push(`uncaught error in the page: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const t = m.text();
      // An endpoint an older server lacks (e.g. /admin/rejected) answers 404/405: the page
      // shows "not available", the browser still logs the failed load.
      if (/Failed to load resource: the server responded with a status of 40[45]/.test(t)) {
        log(`note (tolerated): ${t}`);
        return;
      }
      problems.push(`console error: ${t}`);
    });
    page.on('dialog', (d) => d.accept());
    let sessionAnswer = null;
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/admin/session' && r.status() === 200) {
        r.json().then((v) => { sessionAnswer = v; }, () => {});
      }
    });

    await step('opens the dashboard and signs in with the token from the URL', async () => {
      const res = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: WAIT });
      if (!res || !res.ok()) throw new Error(`GET ${new URL(url).origin}${new URL(url).pathname} answered ${res ? res.status() : 'nothing'}`);
      // Signed in once the first refresh went through; a refused token shows the login form.
      await page.waitForFunction(() => !document.querySelector('#login-view')?.hidden
        || /\d/.test(document.querySelector('#last-update')?.textContent || ''), null, { timeout: WAIT, polling: 100 });
      if (await page.isVisible('#login-view')) {
        throw new Error(`the login form is showing: ${await page.textContent('#login-message')}`);
      }
      if (!(await page.isVisible('#app-view')) || !(await page.isVisible('#logout'))) throw new Error('the dashboard is not showing');
      if (/token=/.test(new URL(page.url()).hash)) throw new Error(`the token is still in the address bar: ${page.url()}`);
      const stored = await page.evaluate(() => Object.keys(sessionStorage).length);
      if (stored < 1) throw new Error('nothing was kept in sessionStorage');
    });

    await step('shows live pipeline counts (events grow, or punches delivered)', async () => {
      await page.waitForFunction(() => {
        const n = (k) => {
          const t = document.querySelector(`[data-count="${k}"]`)?.textContent ?? '';
          return /^\d+$/.test(t) ? Number(t) : NaN;
        };
        const events = n('events');
        const delivered = n('punches-delivered');
        if (window.__firstEvents === undefined && events > 0) window.__firstEvents = events;
        return delivered > 0 || (events > 0 && window.__firstEvents !== undefined && events !== window.__firstEvents);
      }, null, { timeout: WAIT, polling: 250 }).catch(async (e) => {
        const counts = await page.evaluate(readCounts).catch(() => ({}));
        throw new Error(`${e.message.split('\n')[0]}; counts shown: ${JSON.stringify(counts)}`);
      });
      const counts = await page.evaluate(readCounts);
      const bad = ['events', 'events-rejected', 'punches-queued', 'punches-sending', 'punches-delivered', 'parked', 'punches-dry-run', 'out-of-window']
        .filter((k) => !Number.isInteger(counts[k]));
      if (bad.length) throw new Error(`these counts are missing or not plain numbers: ${bad.join(', ')} (${JSON.stringify(counts)})`);
      log(`     counts: ${JSON.stringify(counts)}`);
    });

    const parked = await step('lists a parked punch with Retry and Discard', async () => {
      const row = await page.waitForSelector('#parked-punches tbody tr[data-punch-id]', { state: 'visible', timeout: WAIT })
        .catch(async (e) => {
          const counts = await page.evaluate(readCounts).catch(() => ({}));
          throw new Error(`no parked punch appeared (${e.message.split('\n')[0]}); counts shown: ${JSON.stringify(counts)}`);
        });
      const info = await row.evaluate((tr) => ({
        id: tr.dataset.punchId,
        attempts: Number(tr.dataset.attempts),
        text: Array.from(tr.cells).slice(0, -1).map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | '),
        retry: !!tr.querySelector('button[data-action="retry"]'),
        discard: !!tr.querySelector('button[data-action="discard"]'),
      }));
      if (!info.retry || !info.discard) throw new Error(`the row has no Retry or Discard button: ${info.text}`);
      log(`     parked punch ${info.id}: ${info.text}`);
      return info;
    });

    await step(`Retry moves punch ${parked.id} out of the parked list (or it is tried again)`, async () => {
      const rowSel = `#parked-punches tbody tr[data-punch-id="${parked.id}"]`;
      const answer = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/admin/punches/${parked.id}/retry`,
        { timeout: WAIT },
      );
      await page.click(`${rowSel} button[data-action="retry"]`, { timeout: WAIT });
      const res = await answer;
      if (res.status() !== 202) throw new Error(`POST /admin/punches/${parked.id}/retry answered ${res.status()}: ${await res.text()}`);
      // The server puts the punch back in the queue; delivery sends it at once. It then leaves
      // the parked list (delivered), or comes back parked with one more attempt (Humand refused
      // it again): either shows that the retry happened.
      const outcome = await page.waitForFunction(({ sel, before }) => {
        const tr = document.querySelector(sel);
        if (!tr) return 'left the parked list';
        const attempts = Number(tr.dataset.attempts);
        if (attempts > before) return `parked again after ${attempts} attempt(s)`;
        return false;
      }, { sel: rowSel, before: parked.attempts }, { timeout: WAIT, polling: 200 })
        .then((h) => h.jsonValue())
        .catch((e) => { throw new Error(`the punch stayed parked with ${parked.attempts} attempt(s): ${e.message.split('\n')[0]}`); });
      log(`     punch ${parked.id}: ${outcome}`);
    });

    const outside = await step('lists an event outside the time window with Admit', async () => {
      const row = await page.waitForSelector('#out-of-window-events tbody tr[data-event-id]', { state: 'visible', timeout: WAIT })
        .catch(async (e) => {
          const counts = await page.evaluate(readCounts).catch(() => ({}));
          throw new Error(`no event outside the time window appeared (${e.message.split('\n')[0]}); counts shown: ${JSON.stringify(counts)}`);
        });
      const info = await row.evaluate((tr) => ({
        id: tr.dataset.eventId,
        text: Array.from(tr.cells).slice(0, -1).map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | '),
        admit: !!tr.querySelector('button[data-action="admit-event"]'),
      }));
      if (!info.admit) throw new Error(`the row has no Admit button: ${info.text}`);
      const counted = await page.evaluate(readCounts);
      if (!(counted['out-of-window'] >= 1)) throw new Error(`the out-of-window count shows ${counted['out-of-window']}`);
      log(`     out of the window: ${info.text}`);
      return info;
    });

    await step(`Admit takes event ${outside.id} out of the out-of-window list`, async () => {
      const rowSel = `#out-of-window-events tbody tr[data-event-id="${outside.id}"]`;
      const path = `/admin/events/${encodeURIComponent(outside.id)}/admit`;
      const answer = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path,
        { timeout: WAIT },
      );
      await page.click(`${rowSel} button[data-action="admit-event"]`, { timeout: WAIT });
      const res = await answer;
      if (res.status() !== 202) throw new Error(`POST ${path} answered ${res.status()}: ${await res.text()}`);
      await page.waitForSelector(rowSel, { state: 'detached', timeout: WAIT })
        .catch((e) => { throw new Error(`the event stayed in the list: ${e.message.split('\n')[0]}`); });
    });

    await step('speaks Spanish, has every text in English too (none left untranslated), and switches language', async () => {
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (lang !== 'es') throw new Error(`<html lang="${lang}">: the page did not start in Spanish`);
      const missing = await page.evaluate(async () => (await import('/dashboard/i18n.js')).missingTexts());
      if (missing.length) throw new Error(`texts missing in a language: ${missing.join(', ')}`);
      const shown = async () => page.evaluate(() => ({
        lang: document.documentElement.lang,
        title: document.querySelector('#counts-title')?.textContent,
        retry: document.querySelector('#parked-punches button[data-action="retry"]')?.textContent ?? null,
      }));
      const es = await shown();
      const esTexts = await page.evaluate(fixedTexts);
      if (es.title !== 'Flujo') throw new Error(`the counts title is ${JSON.stringify(es.title)}, not Spanish`);
      const asked = page.waitForRequest((r) => new URL(r.url()).pathname === '/admin/summary'
        && r.headers()['accept-language'] === 'en', { timeout: WAIT });
      await page.selectOption('#language', 'en');
      await asked;
      // The rows come back from the refresh the switch asked for, in English.
      await page.waitForFunction(() => {
        const retry = document.querySelector('#parked-punches button[data-action="retry"]');
        return !retry || retry.textContent === 'Retry';
      }, null, { timeout: WAIT, polling: 100 });
      const en = await shown();
      if (en.lang !== 'en' || en.title !== 'Pipeline') throw new Error(`after choosing English: ${JSON.stringify(en)}`);
      // A fixed text left out of the catalogue reads the same in both languages.
      const enTexts = await page.evaluate(fixedTexts);
      const same = esTexts.filter((x, i) => x !== '' && x === enTexts[i] && !SAME_IN_BOTH.test(x));
      if (esTexts.length !== enTexts.length || same.length) throw new Error(`texts not translated: ${JSON.stringify(same)}`);
      await page.selectOption('#language', 'es');
      const back = await shown();
      if (back.lang !== 'es' || back.title !== 'Flujo') throw new Error(`after choosing Spanish again: ${JSON.stringify(back)}`);
      log(`     es: ${JSON.stringify(es)} · en: ${JSON.stringify(en)}`);
    });

    await step('the top bar names the signed-in client and its scopes (GET /admin/session)', async () => {
      if (!sessionAnswer) throw new Error('the page did not read GET /admin/session');
      const shown = await page.evaluate(() => {
        const info = document.querySelector('#session-info');
        return { visible: !!info && !info.hidden, client: info?.dataset.client, scopes: info?.dataset.scopes, text: info?.textContent };
      });
      const want = ['sync', 'read', 'operate', 'admin'].filter((x) => sessionAnswer.scopes.includes(x)).join(' ');
      if (!shown.visible || shown.client !== sessionAnswer.client || shown.scopes !== want || !shown.text.includes(sessionAnswer.client)) {
        throw new Error(`shown ${JSON.stringify(shown)}; the session is ${JSON.stringify(sessionAnswer)}`);
      }
      if (!sessionAnswer.scopes.includes('operate') || !sessionAnswer.scopes.includes('read')) {
        throw new Error(`DASHBOARD_URL's client must read and operate (the Retry and Admit above); it has ${want}`);
      }
      if (await page.isVisible('#scope-note')) throw new Error(`a note shows for a client that may read and operate: ${await page.textContent('#scope-note')}`);
      log(`     ${shown.text}`);
    });

    let auditAll = [];
    await step(`the audit log lists its newest rows, the Retry of punch ${parked.id} and the Admit of event ${outside.id} among them`, async () => {
      await page.waitForSelector('#audit-section', { state: 'visible', timeout: WAIT });
      const { body } = await searchAudit(page, {});
      auditAll = await page.evaluate(readAuditRows, 'audit');
      if (auditAll.length !== body.rows.length) throw new Error(`the table shows ${auditAll.length} rows of ${body.rows.length}`);
      const ours = (action, target) => auditAll.find((r) => r.action === action && r.client === sessionAnswer.client && r.target === target);
      const retried = ours('punch_retry', String(parked.id));
      const admitted = ours('event_admit', outside.id);
      if (!retried || !admitted) throw new Error(`no punch_retry / event_admit row by ${sessionAnswer.client}: ${JSON.stringify(auditAll.slice(0, 12))}`);
      const seqs = auditAll.map((r) => r.seq);
      if (seqs.some((n, i) => i > 0 && n >= seqs[i - 1])) throw new Error(`rows are not newest first: ${seqs.join(',')}`);
      // The chain's hashes are folded away, not shown.
      const hashShown = await page.evaluate(() => {
        const dd = Array.from(document.querySelectorAll('#audit tbody tr details.record dd')).find((d) => /^[0-9a-f]{64}$/.test(d.textContent));
        return !dd ? null : dd.checkVisibility();
      });
      if (hashShown !== false) throw new Error(hashShown === null ? 'no row keeps its hash in a details element' : 'a row hash is visible');
      log(`     ${auditAll.length} rows; actions: ${[...new Set(auditAll.map((r) => r.action))].join(', ')}`);
    });

    await step('a filter narrows the audit rows (action event_*)', async () => {
      await page.selectOption('#au-action', 'event_*');
      await searchAudit(page, { action: 'event_*' });
      const rows = await page.evaluate(readAuditRows, 'audit');
      const others = rows.filter((r) => !r.action.startsWith('event_'));
      if (rows.length === 0 || others.length) throw new Error(`rows: ${JSON.stringify(rows)}`);
      if (!(rows.length < auditAll.length)) throw new Error(`the filter kept ${rows.length} of ${auditAll.length} rows`);
      log(`     ${rows.length} of ${auditAll.length} rows: ${[...new Set(rows.map((r) => r.action))].join(', ')}`);
    });

    await step('the CSV comes with the same filters, the token in a header, not in the URL', async () => {
      const asked = page.waitForRequest((r) => new URL(r.url()).pathname === '/admin/audit.csv', { timeout: WAIT });
      const saved = page.waitForEvent('download', { timeout: WAIT });
      await page.click('#au-csv');
      const req = await asked;
      const u = new URL(req.url());
      if (u.searchParams.get('action') !== 'event_*') throw new Error(`the CSV was asked as ${u.search}`);
      if (/token/i.test(req.url()) || !/^Bearer \S+/.test(req.headers().authorization || '')) {
        throw new Error(`the token must go in the Authorization header only: ${u.pathname}${u.search}`);
      }
      const file = await saved;
      const stream = await file.createReadStream();
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      const rows = parseCsv(Buffer.concat(chunks).toString('utf8')).filter((r) => r.length > 1);
      const head = rows[0] || [];
      const action = head.indexOf('action');
      if (head[0] !== 'seq' || action < 0) throw new Error(`the CSV header is ${JSON.stringify(head)}`);
      const data = rows.slice(1);
      if (data.length === 0 || data.some((r) => !r[action].startsWith('event_'))) {
        throw new Error(`the CSV rows are not the filtered ones: ${JSON.stringify(data.slice(0, 5))}`);
      }
      log(`     ${file.suggestedFilename()}: ${data.length} row(s)`);
    });

    await step("a person's history by CI shows the ledger and the rows /admin/people/{ci}/history gives", async () => {
      await page.selectOption('#au-action', '');
      await searchAudit(page, {});
      const ci = await page.evaluate(() => {
        // A registration the demo made through /biometrico: a person_register row names the CI.
        for (const tr of document.querySelectorAll('#audit tbody tr[data-seq]')) {
          const ci = tr.dataset.target ?? '';
          if (tr.dataset.auditAction === 'person_register' && tr.dataset.outcome === 'ok' && /^[A-Za-z0-9]{1,32}$/.test(ci)) return ci;
        }
        return null;
      });
      if (!ci) throw new Error('no person_register row in the audit log to take a CI from');
      const answer = page.waitForResponse((r) => new URL(r.url()).pathname === `/admin/people/${ci}/history`, { timeout: WAIT });
      await page.fill('#ph-ci', ci);
      await page.click('#ph-show');
      const res = await answer;
      if (res.status() !== 200) throw new Error(`the history answered ${res.status()}: ${await res.text()}`);
      const body = await res.json();
      await page.waitForSelector('#person-wrap', { state: 'visible', timeout: WAIT });
      const shown = await page.evaluate(() => ({
        ci: document.querySelector('#person-facts [data-field="ci"]')?.textContent,
        personId: document.querySelector('#person-facts [data-field="person_id"]')?.textContent,
        rows: document.querySelectorAll('#person-history tbody tr[data-seq]').length,
      }));
      if (shown.ci !== ci || (body.person_id && shown.personId !== body.person_id) || shown.rows !== body.history.length) {
        throw new Error(`shown ${JSON.stringify(shown)}; the API: ci ${body.ci}, person_id ${body.person_id}, ${body.history.length} row(s)`);
      }
      if (!body.person_id) throw new Error(`${ci} was registered but the ledger has no personId: ${JSON.stringify(body)}`);
      log(`     CI ${ci}: personId ${shown.personId}, ${shown.rows} history row(s)`);
      if (screenshot) {
        // The sticky top bar would cover part of a picture taken while scrolling.
        await page.evaluate(() => { document.querySelector('.topbar').style.position = 'static'; });
        await page.locator('#audit-section').screenshot({ path: screenshot.replace(/(\.png)?$/i, '-audit.png') }).catch(() => {});
        await page.evaluate(() => { document.querySelector('.topbar').style.position = ''; });
      }
    });

    await step('the lifecycle view shows the first plan and the next period\'s run; Approve applies a held plan', async () => {
      // The demo's first run only plans; after the day, SIAD's next period and a run asked to
      // apply (held when it would revoke over the share). Both show; a held one is approved here.
      await page.waitForFunction(() => document.querySelectorAll('#lifecycle-runs tbody tr[data-run-id]').length >= 2,
        null, { timeout: 2 * WAIT, polling: 250 }).catch(async (e) => {
        const rows = await page.evaluate(() => Array.from(document.querySelectorAll('#lifecycle-runs tbody tr[data-run-id]')).map((tr) => tr.dataset.state));
        throw new Error(`two lifecycle runs did not show (${e.message.split('\n')[0]}); rows: ${JSON.stringify(rows)}`);
      });
      const states = () => page.evaluate(() => Array.from(document.querySelectorAll('#lifecycle-runs tbody tr[data-run-id]'))
        .map((tr) => ({ id: tr.dataset.runId, state: tr.dataset.state })));
      await page.waitForFunction(() => {
        const tr = document.querySelector('#lifecycle-runs tbody tr[data-run-id]');
        return tr && tr.dataset.state !== 'planning';
      }, null, { timeout: 2 * WAIT, polling: 250 });
      let runs = await states();
      const first = runs[runs.length - 1];
      // The first run only plans; the demo's administrator then approves it, so it is applied
      // (or still applying) with an approver, never applied on its own.
      const firstRun = await fetch(`${new URL(url).origin}/admin/lifecycle/runs/${first.id}`, { headers: { Authorization: `Bearer ${tokenOf(url)}` } }).then((r) => r.json());
      if (!['applying', 'applied'].includes(first.state) || !firstRun.approved_by) throw new Error(`the installation's first run is ${first.state}, approved by ${JSON.stringify(firstRun.approved_by)}: it should have been planned, then approved by the demo: ${JSON.stringify(runs)}`);
      const latest = runs[0];
      const origin = new URL(url).origin;
      const tok = tokenOf(url);
      if (latest.state === 'held') {
        const held = await page.evaluate(() => ({
          banner: !document.querySelector('#lifecycle-latest-held')?.hidden,
          approve: !!document.querySelector('#lifecycle-runs tbody tr[data-state="held"] button[data-action="lc-apply"]'),
          discard: !!document.querySelector('#lifecycle-runs tbody tr[data-state="held"] button[data-action="lc-discard"]'),
        }));
        if (!held.banner || !held.approve || !held.discard) throw new Error(`a held plan lacks its reason, Approve or Discard: ${JSON.stringify(held)}`);
        const answer = page.waitForResponse((r) => r.request().method() === 'POST' && /\/admin\/lifecycle\/runs\/[^/]+\/apply$/.test(new URL(r.url()).pathname), { timeout: WAIT });
        await page.click(`#lifecycle-runs tbody tr[data-run-id="${latest.id}"] button[data-action="lc-apply"]`);
        const res = await answer;
        if (res.status() !== 202) throw new Error(`Approve answered ${res.status()}, not 202`);
      }
      await page.waitForFunction((id) => {
        const tr = document.querySelector(`#lifecycle-runs tbody tr[data-run-id="${id}"]`);
        return tr && ['applied', 'failed'].includes(tr.dataset.state);
      }, latest.id, { timeout: 3 * WAIT, polling: 500 }).catch(async (e) => {
        throw new Error(`run ${latest.id} was not applied (${e.message.split('\n')[0]}): ${JSON.stringify(await states())}`);
      });
      const run = await fetch(`${origin}/admin/lifecycle/runs/${latest.id}`, { headers: { Authorization: `Bearer ${tok}` } }).then((r) => r.json());
      if (run.state !== 'applied') throw new Error(`run ${latest.id} ended ${run.state}: ${run.error}`);
      // The page's per-action table says what the API says (once its next refresh has drawn
      // this run: the table is redrawn every few seconds).
      const want = Object.fromEntries(Object.entries(run.counts)
        .map(([action, by]) => [action, Object.values(by || {}).reduce((a, b) => a + b, 0)]));
      const shownCounts = () => page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('#lifecycle-counts tbody tr[data-action-kind]'))
        .map((tr) => [tr.dataset.actionKind, Number(tr.cells[1].textContent)])));
      await page.waitForFunction((w) => {
        const rows = Array.from(document.querySelectorAll('#lifecycle-counts tbody tr[data-action-kind]'));
        return rows.length === Object.keys(w).length
          && rows.every((tr) => w[tr.dataset.actionKind] === Number(tr.cells[1].textContent));
      }, want, { timeout: WAIT, polling: 250 }).catch(async () => {
        throw new Error(`the page shows ${JSON.stringify(await shownCounts())}, the API ${JSON.stringify(want)}`);
      });
      for (const action of ['revoke', 'register', 'refresh_face', 'refresh_person', 'restore']) {
        if (!run.counts[action]?.ok) throw new Error(`the next period's run did no ${action}: ${JSON.stringify(run.counts)}`);
      }
      // The run's CSV, with the token in a header.
      const csvDone = page.waitForEvent('download', { timeout: WAIT });
      await page.click(`#lifecycle-runs tbody tr[data-run-id="${latest.id}"] [data-action="lc-csv"]`);
      const download = await csvDone;
      const csvPath = await download.path();
      const { readFileSync } = await import('node:fs');
      const rows = parseCsv(readFileSync(csvPath, 'utf8'));
      const total = Object.values(run.counts).flatMap((by) => Object.values(by)).reduce((a, b) => a + b, 0);
      if (rows.length - 1 !== total) throw new Error(`the CSV has ${rows.length - 1} actions, the run ${total}`);
      log(`     runs: ${JSON.stringify(await states())}; counts ${JSON.stringify(run.counts)}`);
    });

    if (!readOnlyUrl) {
      log('skipped: a read-only client hides the actions (set DASHBOARD_READONLY_URL)');
    } else {
      const viewerToken = tokenOf(readOnlyUrl);
      const origin = new URL(readOnlyUrl).origin;
      const viewer = await fetch(`${origin}/admin/session`, { headers: { Authorization: `Bearer ${viewerToken}` } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`GET /admin/session with DASHBOARD_READONLY_URL's token answered ${r.status}`))));
      if (viewer.scopes.join() !== 'read') throw new Error(`DASHBOARD_READONLY_URL's client must have only "read": ${JSON.stringify(viewer)}`);
      await step('a read-only client sees the views and no action (Retry, Discard, Admit, Cancel)', async () => {
        const ro = await openSignedIn(browser, readOnlyUrl);
        try {
          // A parked punch (the demo keeps one: a person Humand does not know) and the jobs
          // are rows that carry actions for a client that may operate.
          const row = await ro.page.waitForSelector('#parked-punches tbody tr[data-punch-id]', { state: 'attached', timeout: WAIT });
          await ro.page.waitForSelector('#jobs tbody tr[data-job-id]', { state: 'attached', timeout: WAIT });
          const seen = await ro.page.evaluate((actions) => ({
            scopes: document.querySelector('#session-info')?.dataset.scopes,
            note: document.querySelector('#scope-note')?.dataset.kind,
            noteShown: !document.querySelector('#scope-note')?.hidden,
            buttons: actions.flatMap((a) => Array.from(document.querySelectorAll(`#app-view [data-action="${a}"]`)).map(() => a)),
            actionHeads: Array.from(document.querySelectorAll('th[data-scope="operate"]')).filter((th) => th.getClientRects().length > 0).length,
            csvLinks: document.querySelectorAll('#jobs [data-action="csv"]').length,
            audit: document.querySelectorAll('#audit tbody tr[data-seq]').length,
          }), OPERATE_ACTIONS);
          const cells = await row.evaluate((tr) => ({ cells: tr.cells.length, heads: tr.closest('table').tHead.rows[0].cells.length }));
          if (seen.scopes !== 'read') throw new Error(`the top bar shows scopes ${JSON.stringify(seen.scopes)}, not "read"`);
          if (seen.buttons.length) throw new Error(`actions shown to a read-only client: ${seen.buttons.join(', ')}`);
          if (seen.actionHeads) throw new Error(`${seen.actionHeads} Actions column(s) shown`);
          if (cells.cells !== cells.heads - 1) throw new Error(`a parked punch row has ${cells.cells} cells for ${cells.heads} columns (one hidden)`);
          if (!seen.noteShown || seen.note !== 'readOnly') throw new Error(`the read-only note is not shown (${seen.note})`);
          if (seen.csvLinks < 1) throw new Error('the jobs lost their CSV link (a read)');
          await ro.page.waitForSelector('#audit tbody tr[data-seq]', { state: 'visible', timeout: WAIT });
          if (ro.errors.length) throw new Error(ro.errors.join(' | '));
          log(`     ${JSON.stringify({ ...seen, buttons: seen.buttons.length })}`);
        } finally {
          await ro.context.close();
        }
      });

      await step('a call refused with 403 shows the server\'s message, then the page hides that action', async () => {
        // The page is told the client may operate (as before its scopes were cut); the server,
        // which knows better, refuses the Retry.
        const ro = await openSignedIn(browser, readOnlyUrl, { session: { ...viewer, scopes: ['read', 'operate'] } });
        try {
          const button = await ro.page.waitForSelector('#parked-punches tbody tr[data-punch-id] button[data-action="retry"]', { state: 'visible', timeout: WAIT });
          const answer = ro.page.waitForResponse((r) => r.request().method() === 'POST' && /\/admin\/punches\/[^/]+\/retry$/.test(new URL(r.url()).pathname), { timeout: WAIT });
          await button.click();
          const res = await answer;
          const body = await res.json().catch(() => ({}));
          if (res.status() !== 403) throw new Error(`the retry answered ${res.status()}, not 403`);
          const serverSays = body?.error?.details?.msg || body?.error?.message;
          await ro.page.waitForFunction((msg) => {
            const n = document.querySelector('#notice');
            return n && !n.hidden && n.dataset.kind === 'error' && n.textContent.includes(msg);
          }, serverSays, { timeout: WAIT, polling: 100 })
            .catch(async () => { throw new Error(`the notice does not show the server's message ${JSON.stringify(serverSays)}: ${JSON.stringify(await ro.page.textContent('#notice'))}`); });
          await ro.page.waitForFunction((actions) => actions.every((a) => !document.querySelector(`#app-view [data-action="${a}"]`))
            && document.querySelector('#session-info')?.dataset.scopes === 'read'
            && document.querySelector('#scope-note')?.dataset.kind === 'readOnly', OPERATE_ACTIONS, { timeout: WAIT, polling: 100 })
            .catch(() => { throw new Error('the Retry button stayed after the 403'); });
          log(`     notice: ${await ro.page.textContent('#notice')}`);
        } finally {
          await ro.context.close();
        }
      });

      await step('the audit log lists the denied calls (filters actor and outcome) and pages to older rows', async () => {
        // More denied calls than one page holds: each is recorded.
        for (let i = 0; i < 55; i++) {
          const r = await fetch(`${origin}/admin/punches/999999/discard`, { method: 'POST', headers: { Authorization: `Bearer ${viewerToken}` } });
          if (r.status !== 403) throw new Error(`a read-only discard answered ${r.status}, not 403`);
        }
        await page.fill('#au-actor', viewer.client);
        await page.selectOption('#au-outcome', 'denied');
        const first = await searchAudit(page, { actor: viewer.client, outcome: 'denied' });
        const page1 = await page.evaluate(readAuditRows, 'audit');
        if (page1.some((r) => r.client !== viewer.client || r.outcome !== 'denied')) throw new Error(`rows: ${JSON.stringify(page1.slice(0, 5))}`);
        if (page1.length < 50 || first.body.next_before === null) throw new Error(`page 1 has ${page1.length} rows, next_before ${first.body.next_before}`);
        if (!(await page.isEnabled('#au-older'))) throw new Error('"older" is not offered');
        const older = page.waitForResponse((r) => new URL(r.url()).pathname === '/admin/audit', { timeout: WAIT });
        await page.click('#au-older');
        const res = await older;
        const before = new URL(res.url()).searchParams.get('before');
        if (before !== String(first.body.next_before) || new URL(res.url()).searchParams.get('outcome') !== 'denied') {
          throw new Error(`"older" asked ${new URL(res.url()).search}`);
        }
        const body2 = await res.json();
        await page.waitForFunction((n) => document.querySelectorAll('#audit tbody tr[data-seq]').length === n, body2.rows.length, { timeout: WAIT, polling: 100 });
        const page2 = await page.evaluate(readAuditRows, 'audit');
        const lowest = Math.min(...page1.map((r) => r.seq));
        if (page2.length === 0 || page2.some((r) => r.seq >= lowest || r.outcome !== 'denied')) {
          throw new Error(`page 2 is not the older denied rows: ${JSON.stringify(page2.slice(0, 5))}`);
        }
        await page.click('#au-newer');
        await page.waitForFunction((seq) => document.querySelector('#audit tbody tr[data-seq]')?.dataset.seq === String(seq), page1[0].seq, { timeout: WAIT, polling: 100 });
        log(`     page 1: ${page1.length} denied rows of ${viewer.client}, page 2: ${page2.length}`);
      });
    }

    if (!syncUrl) {
      log('skipped: a sync-only client sees only the note (set DASHBOARD_SYNC_URL)');
    } else {
      await step('a sync-only client (the SIAD frontend\'s) signs in and sees only the note, with no reads', async () => {
        const sy = await openSignedIn(browser, syncUrl);
        try {
          await sy.page.waitForFunction(() => document.querySelector('#scope-note')?.dataset.kind === 'syncOnly'
            && !document.querySelector('#scope-note').hidden, null, { timeout: WAIT, polling: 100 });
          // Everything the page asked for has been answered: none of it may be a read.
          await sy.page.waitForLoadState('networkidle', { timeout: WAIT });
          const seen = await sy.page.evaluate(() => ({
            views: !document.querySelector('#read-views')?.hidden,
            scopes: document.querySelector('#session-info')?.dataset.scopes,
            note: document.querySelector('#scope-note')?.textContent,
          }));
          const reads = sy.requests.filter((r) => /^GET \/(admin|biometrico)\//.test(r) && r !== 'GET /admin/session');
          if (seen.views) throw new Error('the views show for a sync-only client');
          if (seen.scopes !== 'sync') throw new Error(`the top bar shows scopes ${JSON.stringify(seen.scopes)}`);
          if (reads.length) throw new Error(`the page read ${[...new Set(reads)].join(', ')}`);
          if (sy.errors.length) throw new Error(sy.errors.join(' | '));
          log(`     note: ${seen.note}`);
        } finally {
          await sy.context.close();
        }
      });
    }

    await step('no errors in the page', async () => {
      // Let one more refresh run so errors from rendering the new state surface too.
      await page.waitForFunction(() => {
        const t = document.querySelector('#last-update')?.textContent || '';
        window.__lastUpdate ??= t;
        return t !== window.__lastUpdate;
      }, null, { timeout: WAIT, polling: 250 });
      if (await page.isVisible('#login-view')) throw new Error('the page signed out');
      if (problems.length) throw new Error(problems.join(' | '));
    });
  } finally {
    if (screenshot && page) {
      await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
      log(`screenshot: ${screenshot}`);
    }
    await browser.close().catch(() => {});
  }
}

const overall = setTimeout(() => {
  console.error(`dashboard-test: FAILED: gave up after ${OVERALL_MS} ms in all`);
  process.exit(1);
}, OVERALL_MS);
overall.unref();

main().then(() => {
  console.log(`dashboard-test: ${passed} passed, ${failed} failed`);
  process.exit(0);
}, (e) => {
  console.error(`dashboard-test: FAILED: ${e && e.message ? e.message : e}`);
  if (e && !e.reported && e.message && /Executable doesn't exist|ENOENT|spawn/.test(e.message)) {
    console.error(`dashboard-test: is Chromium installed at ${executablePath}? (apt-get install -y chromium, or set CHROMIUM)`);
  }
  console.log(`dashboard-test: ${passed} passed, ${failed + (e && e.reported ? 0 : 1)} failed`);
  process.exit(1);
});
