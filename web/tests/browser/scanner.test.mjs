// The scanner page in Debian's Chromium: a verifier organisation's staff member reads the holder's
// live QR code through a fake camera (Chromium plays a video made from a screenshot of the wallet's
// card) and from an uploaded photo; the online check says valid, then red after a suspension; with
// the network off the page verifies with the material it cached, and says so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { copyFileSync, writeFileSync } from 'node:fs';

import { startServer, launchBrowser, screenshot, OUT_DIR, ROOT } from './support.mjs';
import { edlBin } from '../vectors.mjs';

let server;
let holder;
let fileNumber;

function edl(args) {
  const run = spawnSync(edlBin(), args, {
    cwd: server.dir,
    encoding: 'utf8',
    env: { ...process.env, EDL_DATABASE_URL: server.databaseUrl, NO_COLOR: '1' },
  });
  if (run.status !== 0) throw new Error(`edl ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function show(n) {
  return edl(['licence', 'show', '--file-number', n]);
}

/**
 * A Y4M video (what Chromium's fake camera plays, in a loop) of one PNG image: the page decodes the
 * PNG and hands back its RGBA pixels, which become one I420 frame here (BT.601, even size).
 */
async function pngToY4m(page, png, path) {
  const { width, height, data } = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const w = img.naturalWidth & ~1;
    const h = img.naturalHeight & ~1;
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    let s = '';
    for (let i = 0; i < rgba.length; i += 0x8000) s += String.fromCharCode(...rgba.subarray(i, i + 0x8000));
    return { width: w, height: h, data: btoa(s) };
  }, png.toString('base64'));
  const rgba = Buffer.from(data, 'base64');
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = 4 * (row * width + col);
      const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
      y[row * width + col] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (row % 2 === 0 && col % 2 === 0) {
        const j = (row / 2) * (width / 2) + col / 2;
        u[j] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
        v[j] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
      }
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  writeFileSync(path, Buffer.concat([header, frame, frame]));
}

async function staffLogin(page, username, password) {
  await page.goto(new URL('console', server.url).href);
  await page.fill('#login [name=username]', username);
  await page.fill('#login [name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('#login button')]);
}

async function verdict(page) {
  await page.locator('#result:not([hidden])').waitFor({ timeout: 30_000 });
  return {
    valid: await page.locator('#verdict').getAttribute('data-valid'),
    colour: await page.locator('#verdict').getAttribute('data-colour'),
    mode: await page.locator('#result-mode').getAttribute('data-mode'),
    fields: await page.locator('#result-fields').innerText(),
  };
}

before(async () => {
  server = await startServer({ demo: true });
  const examples = {};
  for (const m of server.logs().matchAll(/example \((\w+)\): edl licence show --file-number (\d+)/g)) examples[m[1]] = m[2];
  fileNumber = examples.BlackQr;
  assert.ok(fileNumber, server.logs());
  const region = /\((\d{6})\)/.exec(/发证机关 authority\s+(.*)/.exec(show(fileNumber))[1])[1];
  edl(['rollout', 'enable', region, '--from', '2021-01-01', '--phase', 'browser test']);
  holder = await launchBrowser({ viewport: { width: 900, height: 1500 } });
  const { page } = holder;
  await page.goto(new URL('wallet', server.url).href);
  const form = page.locator('#register');
  await form.locator('[name=citizen_id]').fill(/证号 citizen ID\s+(\S+)/.exec(show(fileNumber))[1]);
  await form.locator('[name=second_factor]').fill(fileNumber);
  await form.locator('[name=password]').fill('holder-password-1');
  await form.locator('[name=password_again]').fill('holder-password-1');
  await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
  await Promise.all([page.waitForURL(/\/wallet\/card$/, { timeout: 30_000 }), page.locator('#claim').click()]);
  await page.locator('#qr svg').waitFor({ timeout: 30_000 });
});

after(async () => {
  await holder?.close();
  await server?.stop();
});

test('the scanner reads the card through a fake camera and from a photo, online and offline, and shows a suspension in red', async () => {
  const qrPng = await holder.page.locator('#front').screenshot({ type: 'png' });
  const photo = join(server.dir, 'card.png');
  writeFileSync(photo, qrPng);
  const video = join(server.dir, 'card.y4m');
  await pngToY4m(holder.page, qrPng, video);

  const checker = await launchBrowser({
    viewport: { width: 900, height: 1300 },
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  try {
    const { page, context } = checker;
    await staffLogin(page, 'police', 'demo-verifier');
    assert.match(page.url(), /\/scanner$/);
    await page.waitForFunction(() => document.querySelector('#app')?.dataset.ready === 'true', null, { timeout: 20_000 });
    await page.locator('#purpose').selectOption('roadside');
    // The offline material (trust and status lists) is fetched and cached when the page opens.
    await page.waitForFunction(() => /离线数据更新于/.test(document.querySelector('#material-status')?.textContent ?? ''), null, { timeout: 60_000 });

    // The camera: the fake device plays the card; the page finds the code and checks it online.
    await page.locator('#start-camera').click();
    const camera = await verdict(page);
    assert.deepEqual([camera.valid, camera.colour, camera.mode], ['true', 'black', 'online'], JSON.stringify(camera));
    assert.match(camera.fields, new RegExp(fileNumber));
    await screenshot(page, 'scanner-valid.png');

    // An uploaded photo of the card works too.
    await page.locator('#scan-again').click();
    await page.locator('#upload').setInputFiles(photo);
    const uploaded = await verdict(page);
    assert.deepEqual([uploaded.valid, uploaded.mode], ['true', 'online'], JSON.stringify(uploaded));

    // Suspended (暂扣) by the authority: the online check sees it at once.
    edl(['licence', 'set-status', '--file-number', fileNumber, '--status', 'D', '--by', 'tj-0042', '--reason', 'scanner test']);
    await page.locator('#scan-again').click();
    await page.locator('#upload').setInputFiles(photo);
    const red = await verdict(page);
    assert.deepEqual([red.valid, red.colour], ['false', 'red'], JSON.stringify(red));
    // The code's own letters (正常 when it was issued) are labelled as such; the live status is the status line.
    assert.equal(await page.locator('[data-field=status_letters] dt').innerText(), '签发时状态');
    assert.match(await page.locator('#result-times [data-field=status] dd').innerText(), /暂停使用|已失效/);
    await screenshot(page, 'scanner-red.png');
    edl(['licence', 'set-status', '--file-number', fileNumber, '--status', 'A', '--by', 'tj-0042', '--reason', 'restored']);

    // Offline: the page still verifies, with the trust and status material it cached, and says so.
    await context.setOffline(true);
    await page.locator('#scan-again').click();
    await page.locator('#upload').setInputFiles(photo);
    const offline = await verdict(page);
    assert.deepEqual([offline.valid, offline.colour, offline.mode], ['true', 'black', 'offline'], JSON.stringify(offline));
    assert.match(await page.locator('#result-mode-detail').innerText(), /\S/);
    await screenshot(page, 'scanner-offline.png');
    await context.setOffline(false);
  } finally {
    await checker.close();
  }
  if (process.env.EDL_UPDATE_DOCS === '1') {
    for (const name of ['scanner-valid.png', 'scanner-red.png', 'scanner-offline.png']) {
      copyFileSync(join(OUT_DIR, name), join(ROOT, 'docs', 'screenshots', name));
    }
  }
});
