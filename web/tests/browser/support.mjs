// Helpers for every browser test: a real `edl serve` on a free loopback port with a fresh working
// directory and SQLite database, Debian's Chromium driven by playwright-core with a fresh profile,
// the web/ directory served to the page from disk, and screenshots into web/tests/browser/out/.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, sep, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { ROOT, edlBin } from '../vectors.mjs';

export { ROOT, edlBin };

/** Where screenshots go (gitignored). */
export const OUT_DIR = fileURLToPath(new URL('./out/', import.meta.url));

/** Chromium: `CHROMIUM` or Debian's package. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/**
 * Starts `edl serve` on 127.0.0.1 with an OS-chosen port (`--listen 127.0.0.1:0`, no race), in a
 * fresh temporary working directory with a fresh SQLite database, and waits until `/ready` answers
 * 200. `demo` seeds the demo data (`--demo`). Returns `{ url, dir, databaseUrl, logs(), stop() }`;
 * `url` ends with `/`. Call `stop()` in an `after` hook: it stops the service with SIGINT (Ctrl-C,
 * graceful) and removes the directory.
 */
export async function startServer({ demo = true, args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'edl-web-serve-'));
  const databaseUrl = `sqlite://${join(dir, 'edl.sqlite3')}`;
  const serveArgs = ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl, ...(demo ? ['--demo'] : []), ...args];
  const child = spawn(edlBin(), serveArgs, {
    cwd: dir,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
  const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const logs = () => `--- edl serve stdout\n${stdout}\n--- edl serve stderr\n${stderr}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The service prints `edl serve: http://127.0.0.1:PORT/` once it is bound, then the demo's
    // example licences, and ends its banner with `Ctrl-C stops the service.`: wait for the whole
    // banner, since the tests read the examples from it and stdout may arrive in several chunks.
    const url = await new Promise((found, failed) => {
      const deadline = setTimeout(() => failed(new Error(`edl serve printed no address in 60 s\n${logs()}`)), 60_000);
      const look = () => {
        const m = /edl serve: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
        if (m && stdout.includes('Ctrl-C stops the service.')) { clearTimeout(deadline); found(m[1]); }
      };
      child.stdout.on('data', look);
      exited.then(({ code, signal }) => { clearTimeout(deadline); failed(new Error(`edl serve exited (${code ?? signal}) before listening\n${logs()}`)); });
      look();
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(new URL('ready', url));
        if (res.status === 200) break;
      } catch {
        // Not answering yet.
      }
      if (attempt >= 300) throw new Error(`${url}ready did not answer 200 in 30 s\n${logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { url, dir, databaseUrl, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Launches Chromium (headless, no sandbox: tests run as root in CI) with a fresh profile directory
 * through playwright-core; `args` adds Chromium flags (a fake camera, say). Returns
 * `{ context, page, close() }`; `close()` also removes the profile.
 */
export async function launchBrowser({ viewport = { width: 1280, height: 900 }, locale = 'zh-CN', args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'edl-web-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...args],
      viewport,
      locale,
      deviceScaleFactor: 1,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM} (install Debian's chromium, or set CHROMIUM): ${error.message}`);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** The path under which `serveWebDir` answers with the files of web/. */
export const WEB_PREFIX = '__web__/';

const CONTENT_TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * Serves web/ to the pages of `context` at `${baseUrl}__web__/…` from disk (same origin as the
 * service, so modules, IndexedDB and WebCrypto behave as they will once `edl serve` serves them).
 * Until the server serves the wallet itself, this is how a test loads `web/wallet/edl-qr.js`:
 * `await import('/__web__/wallet/edl-qr.js')` in the page.
 */
export async function serveWebDir(context, baseUrl) {
  const webDir = join(ROOT, 'web');
  await context.route(`${baseUrl}${WEB_PREFIX}**`, async (route) => {
    const path = decodeURIComponent(new URL(route.request().url()).pathname).slice(`/${WEB_PREFIX}`.length);
    const file = resolve(webDir, path);
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(webDir + sep) || !type) {
      await route.fulfill({ status: 404, body: 'not found' });
      return;
    }
    try {
      await route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
    } catch {
      await route.fulfill({ status: 404, body: 'not found' });
    }
  });
}

/**
 * A PNG screenshot of a page (full page) or of one element (a Locator) into `path` (relative paths
 * are under OUT_DIR). Returns the absolute path.
 */
export async function screenshot(target, path) {
  const file = resolve(OUT_DIR, path);
  mkdirSync(dirname(file), { recursive: true });
  if (typeof target.screenshot !== 'function') throw new Error('screenshot: give a Page or a Locator');
  const isPage = typeof target.goto === 'function';
  await target.screenshot({ path: file, type: 'png', ...(isPage ? { fullPage: true } : {}) });
  return file;
}
