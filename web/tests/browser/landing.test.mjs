// The first real-browser test: the landing page of `edl serve --demo` in Debian's Chromium, WebCrypto
// and IndexedDB in that page, and the whole browser path of the live QR code: a WebCrypto signature,
// web/wallet/edl-qr.js, the vendored QR renderer, a real screenshot, and the Rust reader and
// verifier (`edl verify --image`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, launchBrowser, serveWebDir, screenshot, WEB_PREFIX } from './support.mjs';
import { loadVectors, verifyWithVector, seconds } from '../vectors.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  await serveWebDir(browser.context, server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the landing page renders in Chinese', async () => {
  const { page } = browser;
  const response = await page.goto(server.url);
  assert.equal(response.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.title(), /电子驾驶证/);
  const heading = await page.locator('h1').first().innerText();
  assert.match(heading, /电子驾驶证平台/);
  const body = await page.locator('body').innerText();
  assert.match(body, /登记库/, 'the registry section');
  // The text is in the DOM; is it drawn? Without a CJK font Chromium draws every Chinese character
  // as the same empty box (.notdef), as it draws an unassigned private-use character.
  const drawn = await page.evaluate(() => {
    const font = getComputedStyle(document.querySelector('h1')).fontFamily;
    const pixels = (ch) => {
      const canvas = new OffscreenCanvas(48, 48);
      const ctx = canvas.getContext('2d');
      ctx.font = `32px ${font}`;
      ctx.fillText(ch, 4, 36);
      return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(',');
    };
    const notdef = pixels('\uE000');
    return ['电', '驾', '证'].every((ch) => pixels(ch) !== notdef) && pixels('电') !== pixels('驾');
  });
  assert.ok(drawn, 'Chinese characters are drawn as empty boxes: no CJK font (Debian: fonts-noto-cjk)');
  const shot = await screenshot(page, 'landing.png');
  assert.ok(shot.endsWith('landing.png'));
});

test('WebCrypto in the page: a non-extractable P-256 key kept in IndexedDB signs and cannot be exported', async () => {
  const { page } = browser;
  await page.goto(server.url);
  const result = await page.evaluate(async () => {
    const idb = (request) => new Promise((ok, fail) => {
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    const open = indexedDB.open('edl-browser-test', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    const db = await idb(open);
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    await idb(db.transaction('keys', 'readwrite').objectStore('keys').put(pair, 'device'));
    db.close();

    // Read it back through a new connection, as the wallet will after a reload.
    const db2 = await idb(indexedDB.open('edl-browser-test', 1));
    const stored = await idb(db2.transaction('keys').objectStore('keys').get('device'));
    db2.close();
    const message = new TextEncoder().encode('EDL1 browser test');
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, stored.privateKey, message),
    );
    const verified = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' }, stored.publicKey, signature, message,
    );
    let exportError = null;
    try {
      await crypto.subtle.exportKey('pkcs8', stored.privateKey);
    } catch (error) {
      exportError = error.name;
    }
    return {
      secure: isSecureContext,
      isCryptoKey: stored.privateKey instanceof CryptoKey,
      extractable: stored.privateKey.extractable,
      algorithm: stored.privateKey.algorithm,
      signatureLength: signature.length,
      verified,
      exportError,
    };
  });
  assert.deepEqual(result, {
    secure: true,
    isCryptoKey: true,
    extractable: false,
    algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    signatureLength: 64,
    verified: true,
    exportError: 'InvalidAccessError',
  });
});

test('a QR code made and drawn in the browser, screenshotted, is read and accepted by edl verify --image', async () => {
  const vector = loadVectors().find((v) => v.name === 'roadside-valid');
  const { page } = browser;
  await page.goto(server.url);
  const made = await page.evaluate(async ({ modulePath, credentialHex, pkcs8Hex, generated }) => {
    const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
    const edl = await import(modulePath);
    const key = await crypto.subtle.importKey(
      'pkcs8', hex(pkcs8Hex), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'],
    );
    const credential = hex(credentialHex);
    const purpose = edl.purposeOfCredential(credential);
    const text = await edl.makeQrText(credential, purpose, generated, new Uint8Array(), key);
    const holder = document.createElement('div');
    holder.id = 'edl-qr';
    holder.style.cssText = 'position:fixed;left:16px;top:16px;z-index:10000;line-height:0;background:#fff';
    holder.innerHTML = edl.renderQr(text, { moduleSize: 7 });
    document.body.append(holder);
    const { version } = edl.qrMatrix(text);
    const box = holder.getBoundingClientRect();
    return { text, version, width: box.width, height: box.height };
  }, {
    modulePath: `/${WEB_PREFIX}wallet/edl-qr.js`,
    credentialHex: vector.credential_hex,
    pkcs8Hex: vector.keys.device_pkcs8_hex,
    generated: seconds(vector.issued.generated_at),
  });
  assert.match(made.text, /^EDL1:[0-9A-Z $%*+\-./:]+$/);
  assert.equal(made.text.length, vector.qr_text.length);
  assert.equal(made.version, 14);
  const side = (4 * made.version + 17 + 8) * 7;
  assert.deepEqual([made.width, made.height], [side, side]);

  const shot = await screenshot(page.locator('#edl-qr'), 'qr-roadside.png');
  const { status, report, stdout, stderr } = verifyWithVector(vector, { image: shot });
  assert.equal(status, 0, `edl verify --image exited ${status}\n${stdout}\n${stderr}`);
  assert.equal(report.valid, true);
  assert.equal(report.colour, 'black');
  assert.equal(report.purpose, 'roadside');

  // At 4 px per module (what a phone-sized card has room for) the screenshot still reads.
  await page.evaluate(async ({ modulePath, text }) => {
    const edl = await import(modulePath);
    document.getElementById('edl-qr').innerHTML = edl.renderQr(text, { moduleSize: 4 });
  }, { modulePath: `/${WEB_PREFIX}wallet/edl-qr.js`, text: made.text });
  const small = await screenshot(page.locator('#edl-qr'), 'qr-roadside-4px.png');
  const smallResult = verifyWithVector(vector, { image: small });
  assert.equal(smallResult.status, 0, `edl verify --image (4 px) exited ${smallResult.status}\n${smallResult.stderr}`);

  // The same screenshot checked ten minutes later is refused (a screenshot dies with the window).
  const late = new Date((seconds(vector.issued.generated_at) + 600) * 1000).toISOString().replace('.000', '');
  const stale = verifyWithVector(vector, { image: shot, at: late });
  assert.equal(stale.status, 2);
  assert.deepEqual(stale.report.checks.filter((c) => c.outcome === 'failed').map((c) => c.name), ['freshness']);
});
