// Development helper: pushes the sample HikCentral callbacks (tests/fixtures/hikcentral-events)
// to a running hikbridge, each round with fresh event ids and current event times, so the
// dashboard has live events, delivered punches and (person 0923456789, unknown to the Humand
// simulator) a parked punch.
//
//   BASE=http://127.0.0.1:19080 SECRET=local-callback-secret-0001 ROUNDS=30 INTERVAL_MS=2000 node feed-events.mjs
//
// Bounded: ROUNDS rounds (default 30, at most 1000), INTERVAL_MS apart (at least 200 ms).

import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../fixtures/hikcentral-events');
const base = (process.env.BASE || 'http://127.0.0.1:19080').replace(/\/$/, '');
const secret = process.env.SECRET || 'local-callback-secret-0001';
const rounds = Math.min(Math.max(Number(process.env.ROUNDS) || 30, 1), 1000);
const interval = Math.max(Number(process.env.INTERVAL_MS) || 2000, 200);
const names = (process.env.FIXTURES || 'hcp-granted-face-entry,hcp-batch-exit-card-and-denied').split(',');

/** Local time with offset, as HikCentral sends it: 2026-01-27T08:04:00-03:00. */
function hikTime(ms) {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.abs(Math.trunc(n))).padStart(2, '0');
  const local = new Date(ms + off * 60000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

const templates = await Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(fixtures, `${n}.json`), 'utf8'))));

for (let round = 1; round <= rounds; round++) {
  let offset = 0;
  const now = Date.now() - 30000;
  for (const [i, t] of templates.entries()) {
    const body = structuredClone(t);
    for (const ev of body.params.events) {
      ev.eventId = randomUUID();
      ev.happenTime = hikTime(now + 1000 * offset++);
    }
    body.params.sendTime = hikTime(Date.now());
    const res = await fetch(`${base}/hikcentral/events/${encodeURIComponent(secret)}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    }).catch((e) => ({ ok: false, status: 0, text: async () => e.message }));
    if (!res.ok) console.error(`feed-events: ${names[i]} round ${round}: ${res.status} ${await res.text()}`);
  }
  if (round < rounds) await new Promise((r) => setTimeout(r, interval));
}
console.log(`feed-events: ${rounds} round(s) of ${names.join(', ')} sent to ${base}`);
