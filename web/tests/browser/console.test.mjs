// The staff console and the verifiers in Debian's Chromium against `edl serve --demo`: an operator
// suspends a licence and the holder's card turns red while the verification API reports it, then
// restores it; another authority's operator is refused; an organisation is refused a purpose it
// may not verify for; a verification shows in the holder's "who checked my licence"; the bulk
// import from the browser; the dashboard with its charts and CSV; forged console forms.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyFileSync, readFileSync } from 'node:fs';

import { startServer, launchBrowser, screenshot, OUT_DIR, ROOT } from './support.mjs';
import { edlBin } from '../vectors.mjs';

let server;
let holder;
let examples;

function edl(args, { ok = true } = {}) {
  const run = spawnSync(edlBin(), args, {
    cwd: server.dir,
    encoding: 'utf8',
    env: { ...process.env, EDL_DATABASE_URL: server.databaseUrl, NO_COLOR: '1' },
  });
  if (ok && run.status !== 0) throw new Error(`edl ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

function show(fileNumber) {
  return edl(['licence', 'show', '--file-number', fileNumber]).stdout;
}

function citizenId(fileNumber) {
  return /证号 citizen ID\s+(\S+)/.exec(show(fileNumber))[1];
}

function regionOf(fileNumber) {
  return /\((\d{6})\)/.exec(/发证机关 authority\s+(.*)/.exec(show(fileNumber))[1])[1];
}

/** Logs a member of staff in on `page`; returns the page's URL after login. */
async function staffLogin(page, username, password) {
  await page.goto(new URL('console', server.url).href);
  const form = page.locator('#login');
  await form.locator('[name=username]').fill(username);
  await form.locator('[name=password]').fill(password);
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  return page.url();
}

/** The holder registers and claims the licence; the card's QR text is then `#qr[data-text]`. */
async function registerAndClaim(page, fileNumber) {
  await page.goto(new URL('wallet', server.url).href);
  const form = page.locator('#register');
  await form.locator('[name=citizen_id]').fill(citizenId(fileNumber));
  await form.locator('[name=second_factor]').fill(fileNumber);
  await form.locator('[name=password]').fill('holder-password-1');
  await form.locator('[name=password_again]').fill('holder-password-1');
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  await Promise.all([page.waitForURL(/\/wallet\/card$/, { timeout: 30_000 }), page.locator('#claim').click()]);
  await page.locator('#qr svg').waitFor({ timeout: 30_000 });
}

let claimed = false;

/** The holder's card, claimed the first time it is asked for. */
async function card() {
  if (!claimed) {
    await registerAndClaim(holder.page, examples.BlackQr);
    claimed = true;
  }
  await holder.page.goto(new URL('wallet/card', server.url).href);
  await holder.page.locator('#qr svg').waitFor({ timeout: 30_000 });
  return holder.page;
}

async function cardDisplay(page) {
  await page.reload();
  await page.locator('#qr svg').waitFor({ timeout: 30_000 });
  return page.locator('#card').getAttribute('data-display');
}

/** The platform operator makes an API key for the demo organisation named `name`. */
async function makeKey(page, name) {
  await page.goto(new URL('console/organisations', server.url).href);
  await Promise.all([page.waitForNavigation(), page.locator('#organisations a', { hasText: name }).click()]);
  const form = page.locator('#key-form');
  await form.locator('[name=label]').fill('browser test');
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  return (await page.locator('#new-key').innerText()).trim();
}

async function verifyApi(key, body) {
  const response = await fetch(new URL('api/v1/verify', server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

before(async () => {
  server = await startServer({ demo: true });
  examples = {};
  for (const m of server.logs().matchAll(/example \((\w+)\): edl licence show --file-number (\d+)/g)) examples[m[1]] = m[2];
  assert.ok(examples.BlackQr, `demo examples missing:\n${server.logs()}`);
  edl(['rollout', 'enable', regionOf(examples.BlackQr), '--from', '2021-01-01', '--phase', 'browser test']);
  holder = await launchBrowser({ viewport: { width: 900, height: 1500 } });
});

after(async () => {
  await holder?.close();
  await server?.stop();
});

test('an operator suspends a licence: the card turns red and the API reports it; restoring turns both back; the checks are in the holder history', async () => {
  const fileNumber = examples.BlackQr;
  const region = regionOf(fileNumber);
  await card();
  assert.equal(await cardDisplay(holder.page), 'black');

  const staffBrowser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  try {
    const { page } = staffBrowser;
    // The platform operator makes a key for the police organisation (roadside checks).
    assert.match(await staffLogin(page, 'platform', 'demo-platform'), /\/console\/dashboard$/);
    const key = await makeKey(page, '示例市公安局交警支队');
    assert.match(key, /^edl_[A-Za-z0-9_-]{43}$/);
    await screenshot(page, 'console-organisation-key.png');
    await page.context().clearCookies();

    const qr = async () => holder.page.locator('#qr').getAttribute('data-text');
    const before = await verifyApi(key, { purpose: 'roadside', qr_text: await qr() });
    assert.equal(before.status, 200, JSON.stringify(before.json));
    assert.equal(before.json.valid, true, JSON.stringify(before.json));

    // The operator of the licence's authority finds it and suspends it (暂扣).
    assert.match(await staffLogin(page, `op-${region}`, 'demo-operator'), /\/console\/licences$/);
    await page.locator('#search [name=q]').fill(fileNumber);
    await Promise.all([page.waitForNavigation(), page.locator('#search button').click()]);
    assert.doesNotMatch(await page.locator('#results').innerText(), new RegExp(citizenId(fileNumber)), 'lists mask the 证号');
    await Promise.all([page.waitForNavigation(), page.locator('#results a').first().click()]);
    await page.locator('#status-form [name=reason]').fill('暂扣：浏览器测试');
    await Promise.all([page.waitForNavigation(), page.locator('#status-form button[value="D"]').click()]);
    assert.equal(await page.locator('#licence').getAttribute('data-display'), 'red');
    assert.match(await page.locator('#history').innerText(), new RegExp(`op-${region}[\\s\\S]*暂扣：浏览器测试`));
    await screenshot(page, 'console-licence.png');

    assert.equal(await cardDisplay(holder.page), 'red');
    const suspended = await verifyApi(key, { purpose: 'roadside', qr_text: await qr() });
    assert.equal(suspended.status, 200);
    assert.equal(suspended.json.valid, false);
    assert.equal(suspended.json.colour, 'red');

    // Restored: both turn back.
    await page.locator('#status-form [name=reason]').fill('恢复：浏览器测试');
    await Promise.all([page.waitForNavigation(), page.locator('#status-form button[value="A"]').click()]);
    assert.equal(await page.locator('#licence').getAttribute('data-display'), 'black');
    assert.equal(await cardDisplay(holder.page), 'black');
    const restored = await verifyApi(key, { purpose: 'roadside', qr_text: await qr() });
    assert.equal(restored.json.valid, true, JSON.stringify(restored.json));

    // The police checks are in the holder's "who checked my licence" (audit written in batches).
    await holder.page.goto(new URL('wallet/licence', server.url).href);
    for (let i = 0; i < 50 && !/示例市公安局交警支队/.test(await holder.page.locator('#checks').innerText()); i++) {
      await new Promise((r) => setTimeout(r, 200));
      await holder.page.reload();
    }
    assert.match(await holder.page.locator('#checks').innerText(), /示例市公安局交警支队/);

    // Another authority's operator can neither see nor change it.
    await page.context().clearCookies();
    const other = region === '510100' ? '120100' : '510100';
    await staffLogin(page, `op-${other}`, 'demo-operator');
    const refused = await page.goto(new URL(`console/licences/${fileNumber}`, server.url).href);
    assert.equal(refused.status(), 403);
    assert.equal(await page.locator('.error').getAttribute('data-code'), 'outside_authority');
    const csrf = await page.locator('header form [name=csrf]').getAttribute('value');
    const change = await page.request.post(new URL(`console/licences/${fileNumber}/status`, server.url).href, {
      form: { csrf, status: 'F', reason: 'not mine' },
      maxRedirects: 0,
    });
    assert.equal(change.status(), 403);
    assert.match(show(fileNumber), /状态 status\s+A\b/, 'nothing changed');
    // Forged forms: no CSRF token.
    await page.context().clearCookies();
    await staffLogin(page, `op-${region}`, 'demo-operator');
    const forged = await page.request.post(new URL(`console/licences/${fileNumber}/status`, server.url).href, {
      form: { csrf: 'forged', status: 'F', reason: 'forged' },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /data-code="csrf"/);
    assert.match(show(fileNumber), /状态 status\s+A\b/, 'nothing changed');
  } finally {
    await staffBrowser.close();
  }
});

test('an organisation is refused a purpose it may not verify for, and a revoked key is refused', async () => {
  const staffBrowser = await launchBrowser();
  try {
    const { page } = staffBrowser;
    await staffLogin(page, 'platform', 'demo-platform');
    const key = await makeKey(page, '示例市公安局交警支队');
    const qrText = await (await card()).locator('#qr').getAttribute('data-text');
    const rental = await verifyApi(key, { purpose: 'car_rental', qr_text: qrText });
    assert.equal(rental.status, 403);
    assert.equal(rental.json.error.code, 'purpose_not_allowed');
    // Revoked in the console: refused from then on.
    await Promise.all([page.waitForNavigation(), page.locator('#keys tr:last-child button').click()]);
    let revoked;
    for (let i = 0; i < 60; i++) {
      revoked = await verifyApi(key, { purpose: 'roadside', qr_text: qrText });
      if (revoked.status === 401) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(revoked.status, 401);
    assert.equal(revoked.json.error.code, 'revoked_api_key');
  } finally {
    await staffBrowser.close();
  }
});

test('an operator imports a file from the browser: progress, then the reject report names the rows of other authorities', async () => {
  const csv = join(server.dir, 'upload.csv');
  edl(['gen-licences', '--count', '300', '--seed', '99', '-o', csv]);
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const region = rows[0][12];
  const own = rows.filter((r) => r[12] === region).length;
  const staffBrowser = await launchBrowser();
  try {
    const { page } = staffBrowser;
    await staffLogin(page, `op-${region}`, 'demo-operator');
    await page.goto(new URL('console/import', server.url).href);
    await page.locator('#import-file').setInputFiles(csv);
    await page.locator('#import-form button').click();
    await page.waitForFunction(() => document.querySelector('#import-status')?.dataset.done === 'true', null, { timeout: 60_000 });
    const status = await page.locator('#import-status').innerText();
    assert.match(status, new RegExp(`新增 ${own}`), status);
    assert.match(status, new RegExp(`拒收 ${rows.length - own}`), status);
    await screenshot(page, 'console-import.png');
    const report = await page.request.get(new URL(await page.locator('#import-rejects').getAttribute('href'), server.url).href);
    assert.equal(report.status(), 200);
    assert.equal((await report.text()).split('other_authority').length - 1, rows.length - own);
  } finally {
    await staffBrowser.close();
  }
});

test('the dashboard draws claims and verifications per day and exports CSV; the national view is the platform operator’s', async () => {
  const staffBrowser = await launchBrowser({ viewport: { width: 1280, height: 1400 } });
  try {
    const { page } = staffBrowser;
    await staffLogin(page, 'platform', 'demo-platform');
    await page.goto(new URL('console/dashboard', server.url).href);
    assert.ok(Number(await page.locator('[data-testid=period-claims]').innerText()) >= 1);
    assert.ok(Number(await page.locator('[data-testid=period-verifications]').innerText()) >= 3);
    assert.ok(await page.locator('#claims-chart rect').count() >= 1);
    assert.ok(await page.locator('#verifications-chart rect').count() >= 1);
    assert.match(await page.locator('#purposes').innerText(), /路面执法检查/);
    await screenshot(page, 'console-dashboard.png');
    const csv = await page.request.get(new URL('console/dashboard.csv?kind=verifications', server.url).href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    assert.match(await csv.text(), /^day,region,purpose,valid,not_valid\n\d{4}-\d{2}-\d{2},\d{6},roadside,/);
    await page.goto(new URL('console/rollout', server.url).href);
    assert.ok(await page.locator('#rollout tr[data-region]').count() > 28);
    await screenshot(page, 'console-rollout.png');
    // An auditor sees only their region, and may not change anything.
    await page.context().clearCookies();
    await staffLogin(page, 'audit-120100', 'demo-auditor');
    await page.goto(new URL('console/dashboard', server.url).href);
    assert.equal(await page.locator('#regions tr[data-region]').count(), 1);
    const refused = await page.goto(new URL('console/organisations', server.url).href);
    assert.equal(refused.status(), 403);
  } finally {
    await staffBrowser.close();
  }
  if (process.env.EDL_UPDATE_DOCS === '1') {
    for (const name of ['console-dashboard.png', 'console-licence.png', 'console-import.png', 'console-rollout.png']) {
      copyFileSync(join(OUT_DIR, name), join(ROOT, 'docs', 'screenshots', name));
    }
  }
});

test('the platform operator disables a staff account: its open session ends, it cannot log in, and enabling it lets it back in', async () => {
  const platformBrowser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  const auditorBrowser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  try {
    const auditor = auditorBrowser.page;
    assert.match(await staffLogin(auditor, 'audit-120100', 'demo-auditor'), /\/console\/(dashboard|licences)/);

    const { page } = platformBrowser;
    await staffLogin(page, 'platform', 'demo-platform');
    await page.goto(new URL('console/organisations', server.url).href);
    const row = page.locator('#authority-staff tr', { hasText: 'audit-120100' });
    await Promise.all([page.waitForNavigation(), row.locator('button[data-action=disable]').click()]);
    assert.equal(await row.locator('td[data-state=enable]').count(), 1, 'the row now offers to enable it');
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'console-staff.png');

    // The auditor's open session has ended: the next page is the login page.
    await auditor.goto(new URL('console/dashboard', server.url).href);
    assert.equal(await auditor.locator('#login').count(), 1);
    assert.doesNotMatch(await staffLogin(auditor, 'audit-120100', 'demo-auditor'), /\/console\/(dashboard|licences)/);
    assert.equal(await auditor.locator('[data-code=bad_credentials]').count(), 1);

    await Promise.all([page.waitForNavigation(), row.locator('button[data-action=enable]').click()]);
    assert.match(await staffLogin(auditor, 'audit-120100', 'demo-auditor'), /\/console\/(dashboard|licences)/);
  } finally {
    await platformBrowser.close();
    await auditorBrowser.close();
  }
  if (process.env.EDL_UPDATE_DOCS === '1') {
    copyFileSync(join(OUT_DIR, 'console-staff.png'), join(ROOT, 'docs', 'screenshots', 'console-staff.png'));
  }
});
