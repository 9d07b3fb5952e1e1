// scanner.js: the checker's page (核验). Reads an EDL1 code with the camera or from a photo
// (vendored jsQR, a classic script defining window.jsQR), verifies it ONLINE through the platform
// (POST /scanner/api/verify) and, when the network fails, OFFLINE with edl-verify.js and the trust
// and status material cached from GET /scanner/api/material. The page template (index.html) is
// filled by the server: CSRF token, language, organisation, the purposes it may verify for.
// Every string the page shows is in STRINGS below; values from a code are only ever set as text.

import {
  verifyQrText, loadMaterial, materialFreshness, statusListFor, statusLettersZh, toHex, LABELS_ZH, PURPOSES,
} from './edl-verify.js';
import { renderQr } from '/wallet/assets/edl-qr.js';

// ---------------------------------------------------------------------------------------------
// Strings: Chinese first, English when the page is served in English

const STRINGS = {
  'zh-CN': {
    title: '电子驾驶证核验',
    purpose: '核验用途',
    noPurposes: '本单位没有可核验的用途，请联系平台管理员。',
    challenge: '使用挑战码（防截图、防转发）',
    challengeHint: '请持证人在电子驾驶证中输入以下挑战码，再出示亮码：',
    newChallenge: '换一个',
    startCamera: '打开摄像头扫码',
    stopCamera: '停止扫码',
    upload: '上传照片识别',
    scanning: '请将亮码置于画面中央…',
    noCamera: '此浏览器无法使用摄像头，请上传照片。',
    cameraError: '无法打开摄像头：',
    notEdl: (text) => `读到的二维码不是电子驾驶证亮码：${text}`,
    noCodeInPhoto: '照片中未找到二维码。请对准亮码、保持清晰、避免反光后重拍。',
    photoError: '无法读取这张照片：',
    verifying: '核验中…',
    valid: '有效',
    invalid: '无效',
    unverifiable: '无法核验',
    modeOnline: '在线核验：结果来自平台实时登记。',
    modeOffline: (age, until) => `离线核验：网络不可用，本结果依据 ${age}前缓存的信任与状态数据（可用至 ${until}）。`,
    modeOfflineWhy: (why) => `（在线核验失败：${why}）`,
    noMaterial: '无法离线核验：本机没有可用的信任与状态数据。请联网后重新打开本页。',
    materialTooOld: (until) => `无法离线核验：缓存的信任与状态数据已过期（仅可用至 ${until}）。请联网后更新。`,
    photo: '照片',
    photoOffline: '照片需在线核验。请对照持证人手机上电子驾驶证的照片。',
    fields: '出示信息',
    generated: '生成时间',
    age: (s) => (s >= 0 ? `${s} 秒前` : `${-s} 秒后（时钟偏差）`),
    status: '状态',
    statusOnline: '在线登记（实时）',
    statusList: (issued, age, expires) => `状态列表签发于 ${issued}（${age}前）${expires ? `，有效至 ${expires}` : ''}`,
    statusStates: {
      valid: '正常', suspended: '暂停使用', invalid: '已失效', application_specific: '其他（不可用）',
      unknown: '未知', not_referenced: '无状态登记',
    },
    failures: '未通过的检查',
    notChecked: (n) => `另有 ${n} 项检查因此未进行。`,
    scanAgain: '继续扫码',
    materialLine: (generated, until) => `离线数据更新于 ${generated}，可用至 ${until}`,
    materialNone: '尚无离线数据（联网后自动下载）',
    materialNoneFailed: '尚无离线数据：下载失败，联网后自动重试',
    materialFailed: '离线数据更新失败，继续使用已缓存的数据',
    materialProblems: (n) => `（${n} 项未采用）`,
    serverError: (msg) => `核验请求被拒绝：${msg}`,
    badResponse: '服务器未返回核验结果（登录可能已过期，请刷新页面）。',
    yes: '是',
    no: '否',
    longTerm: '长期',
    units: { s: '秒', m: '分钟', h: '小时', d: '天' },
    purposes: {
      roadside: '路面执法检查', business_window: '交管业务窗口', car_rental: '汽车租赁',
      transport_company: '运输企业', insurer: '保险',
    },
    checks: {
      'code.format': '亮码格式',
      'credential.structure': '凭证结构',
      'issuer.signer_known': '签发机关已知',
      'issuer.signer_not_revoked': '签发证书未撤销',
      'issuer.certificate_chain': '签发证书有效',
      'issuer.signature': '签发机关签名',
      'credential.claims': '凭证内容',
      'credential.validity': '凭证有效期',
      'device.signature': '持证人设备签名',
      freshness: '亮码时效（防截图）',
      challenge: '挑战码',
      purpose: '核验用途',
      status: '吊销／暂扣状态',
      'licence.status_letters': '驾驶证状态',
    },
  },
  en: {
    title: 'E-driving licence check',
    purpose: 'Purpose',
    noPurposes: 'Your organisation may not verify for any purpose; ask the platform administrator.',
    challenge: 'Use a challenge (defeats screenshots and forwarded codes)',
    challengeHint: 'Ask the holder to enter this challenge in their e-licence, then show the code:',
    newChallenge: 'New challenge',
    startCamera: 'Start camera',
    stopCamera: 'Stop camera',
    upload: 'Read a photo',
    scanning: 'Hold the code in the middle of the picture…',
    noCamera: 'This browser cannot use the camera; upload a photo instead.',
    cameraError: 'The camera could not be opened: ',
    notEdl: (text) => `The QR code read is not an e-licence code: ${text}`,
    noCodeInPhoto: 'No QR code found in the photo. Take it again: centred, sharp, without glare.',
    photoError: 'The photo could not be read: ',
    verifying: 'Verifying…',
    valid: 'VALID',
    invalid: 'NOT VALID',
    unverifiable: 'CANNOT VERIFY',
    modeOnline: 'Verified online against the platform registry.',
    modeOffline: (age, until) => `Verified OFFLINE: the network is unavailable; this result rests on trust and status data cached ${age} ago (usable until ${until}).`,
    modeOfflineWhy: (why) => ` (The online check failed: ${why}.)`,
    noMaterial: 'Cannot verify offline: this device holds no usable trust and status data. Go online and open this page again.',
    materialTooOld: (until) => `Cannot verify offline: the cached trust and status data is too old (usable only until ${until}). Go online to update it.`,
    photo: 'Photo',
    photoOffline: 'The photo needs the online check. Compare the person with the photo on the holder\'s own screen.',
    fields: 'Disclosed',
    generated: 'Generated',
    age: (s) => (s >= 0 ? `${s} s ago` : `${-s} s in the future (clock difference)`),
    status: 'Status',
    statusOnline: 'online registry (live)',
    statusList: (issued, age, expires) => `status list issued ${issued} (${age} ago)${expires ? `, expires ${expires}` : ''}`,
    statusStates: {
      valid: 'valid', suspended: 'suspended', invalid: 'invalid', application_specific: 'other (not valid)',
      unknown: 'unknown', not_referenced: 'not referenced',
    },
    failures: 'Checks not passed',
    notChecked: (n) => `${n} further checks were not made because of this.`,
    scanAgain: 'Scan next',
    materialLine: (generated, until) => `Offline data from ${generated}, usable until ${until}`,
    materialNone: 'No offline data yet (downloaded when online)',
    materialNoneFailed: 'No offline data yet: the download failed and is retried when online',
    materialFailed: 'The offline data could not be updated; the cached copy is kept',
    materialProblems: (n) => ` (${n} item(s) left out)`,
    serverError: (msg) => `The verification was refused: ${msg}`,
    badResponse: 'The server did not answer with a report (your session may have expired: reload the page).',
    yes: 'yes',
    no: 'no',
    longTerm: 'no end date (长期)',
    units: { s: 's', m: 'min', h: 'h', d: 'days' },
    purposes: {
      roadside: 'Roadside check', business_window: 'Traffic police window', car_rental: 'Car rental',
      transport_company: 'Transport company', insurer: 'Insurer',
    },
    checks: {
      'code.format': 'Code format',
      'credential.structure': 'Credential structure',
      'issuer.signer_known': 'Issuer known',
      'issuer.signer_not_revoked': 'Issuer certificate not revoked',
      'issuer.certificate_chain': 'Issuer certificate valid',
      'issuer.signature': 'Issuer signature',
      'credential.claims': 'Credential contents',
      'credential.validity': 'Credential validity',
      'device.signature': 'Holder device signature',
      freshness: 'Freshness (screenshots)',
      challenge: 'Challenge',
      purpose: 'Purpose',
      status: 'Revocation / suspension status',
      'licence.status_letters': 'Licence status',
    },
    labels: {
      family_name_national_character: 'Family name', given_name_national_character: 'Given name',
      birth_date: 'Date of birth', sex: 'Sex', nationality: 'Nationality', portrait: 'Photo digest',
      document_number: 'Licence number', issue_date: 'Valid from', expiry_date: 'Valid until',
      driving_classes: 'Classes', age_over_18: 'Aged 18 or over', age_over_70: 'Aged 70 or over',
      file_number: 'File number', first_issue_date: 'First issued', status_letters: 'Status when issued',
      points: 'Points', points_cycle_end: 'Points cycle ends', issuing_authority_name: 'Issuing authority',
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Page state

const MATERIAL_URL = '/scanner/api/material';
const VERIFY_URL = '/scanner/api/verify';
const MATERIAL_REFRESH_MS = 10 * 60 * 1000;
const SCAN_INTERVAL_MS = 150;
const ONLINE_TIMEOUT_MS = 10_000;

const $ = (id) => document.getElementById(id);
const lang = document.documentElement.lang === 'en' ? 'en' : 'zh-CN';
const T = STRINGS[lang];
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const config = readConfig();

const state = {
  material: null, // from loadMaterial
  materialFetchedOk: null, // whether the last fetch worked
  challenge: null, // Uint8Array(8) while the toggle is on
  stream: null,
  timer: null,
  busy: false,
};

function readConfig() {
  try {
    const parsed = JSON.parse($('scanner-config').textContent);
    const purposes = Array.isArray(parsed.purposes) ? parsed.purposes.filter((p) => p in PURPOSES) : [];
    return { purposes };
  } catch {
    return { purposes: [] };
  }
}

/** Creates an element with attributes and children (strings become text nodes: never HTML). */
function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function setText(id, text) {
  const el = $(id);
  if (el) el.textContent = text;
}

function message(text, kind = 'info') {
  const el = $('message');
  el.textContent = text ?? '';
  el.dataset.kind = kind;
  el.hidden = !text;
}

// ---------------------------------------------------------------------------------------------
// Times

function formatTime(value) {
  const d = typeof value === 'number' ? new Date(value) : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const u = T.units;
  if (s < 60) return `${s} ${u.s}`;
  if (s < 3600) return `${Math.floor(s / 60)} ${u.m}`;
  if (s < 172800) return `${Math.floor(s / 3600)} ${u.h}`;
  return `${Math.floor(s / 86400)} ${u.d}`;
}

// ---------------------------------------------------------------------------------------------
// The material: cached in IndexedDB (localStorage when IndexedDB is unavailable)

const DB_NAME = 'edl-scanner';
const STORE = 'material';
const KEY = 'current';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function cacheGet() {
  try {
    const db = await openDb();
    return await new Promise((resolve, reject) => {
      const request = db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY);
      request.onsuccess = () => resolve(request.result ?? null);
      request.onerror = () => reject(request.error);
    });
  } catch {
    try {
      return JSON.parse(localStorage.getItem(`${DB_NAME}:${KEY}`) ?? 'null');
    } catch {
      return null;
    }
  }
}

async function cachePut(value) {
  try {
    const db = await openDb();
    await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(value, KEY);
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  } catch {
    try {
      localStorage.setItem(`${DB_NAME}:${KEY}`, JSON.stringify(value));
    } catch {
      // No storage at all: the material lives as long as the page.
    }
  }
}

async function loadCachedMaterial() {
  const cached = await cacheGet();
  if (!cached || !cached.json) return;
  try {
    const material = await loadMaterial(cached.json);
    // A fetch that finished meanwhile wins.
    if (!state.material || state.material.generatedAt < material.generatedAt) state.material = material;
  } catch {
    // A damaged cache is ignored; the next fetch replaces it.
  }
  showMaterial();
}

async function refreshMaterial() {
  try {
    const response = await fetch(MATERIAL_URL, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const json = await response.json();
    const material = await loadMaterial(json);
    state.material = material;
    state.materialFetchedOk = true;
    await cachePut({ json, fetched_at: new Date().toISOString() });
  } catch {
    state.materialFetchedOk = false;
  }
  showMaterial();
}

function showMaterial() {
  const el = $('material-status');
  const m = state.material;
  if (!m) {
    el.textContent = state.materialFetchedOk === false ? T.materialNoneFailed : T.materialNone;
    el.dataset.state = 'none';
    return;
  }
  const fresh = materialFreshness(m, new Date());
  let text = T.materialLine(formatTime(m.generatedAt), formatTime(m.useUntil));
  if (m.problems.length) text += T.materialProblems(m.problems.length);
  if (state.materialFetchedOk === false) text += ` · ${T.materialFailed}`;
  el.textContent = text;
  el.dataset.state = fresh.usable ? 'usable' : 'too-old';
}

// ---------------------------------------------------------------------------------------------
// Purpose and challenge

function setUpPurposes() {
  const select = $('purpose');
  select.replaceChildren(...config.purposes.map((p) => h('option', { value: p }, T.purposes[p] ?? p)));
  if (config.purposes.length === 0) {
    // Nothing may be verified: no scanning at all.
    for (const id of ['purpose', 'start-camera', 'upload', 'challenge-toggle']) $(id).disabled = true;
    message(T.noPurposes, 'error');
  }
}

function newChallenge() {
  state.challenge = crypto.getRandomValues(new Uint8Array(8));
  const hex = toHex(state.challenge).toUpperCase();
  setText('challenge-hex', hex.match(/.{4}/g).join(' '));
  const qr = $('challenge-qr');
  try {
    // Upper-case hex is QR alphanumeric: the same encoder as the wallet's code.
    qr.innerHTML = renderQr(hex, { moduleSize: 6 });
  } catch {
    qr.replaceChildren();
  }
}

function onChallengeToggle() {
  const on = $('challenge-toggle').checked;
  $('challenge-box').hidden = !on;
  if (on) newChallenge();
  else state.challenge = null;
}

// ---------------------------------------------------------------------------------------------
// Reading codes: camera frames and photos, decoded with jsQR

const canvas = document.createElement('canvas');
const context = canvas.getContext('2d', { willReadFrequently: true });

/** The text of the first QR code in the canvas area, or null. */
function decodeCanvas(width, height, inversionAttempts) {
  if (typeof window.jsQR !== 'function') return null;
  const image = context.getImageData(0, 0, width, height);
  const found = window.jsQR(image.data, width, height, { inversionAttempts });
  return found && typeof found.data === 'string' && found.data.length > 0 ? found.data : null;
}

const isEdl1 = (text) => text.startsWith('EDL1:');
const isLaterEdl = (text) => /^EDL[0-9]+:/.test(text) && !isEdl1(text);

async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    message(T.noCamera, 'error');
    return;
  }
  stopCamera();
  clearResult();
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (error) {
    message(T.cameraError + (error?.message || error?.name || String(error)), 'error');
    return;
  }
  const video = $('camera');
  video.srcObject = state.stream;
  video.hidden = false;
  $('start-camera').hidden = true;
  $('stop-camera').hidden = false;
  message(T.scanning);
  try {
    await video.play();
  } catch {
    // Autoplay rules: the frames still arrive once the user interacts; keep polling.
  }
  scanFrame();
}

function stopCamera() {
  clearTimeout(state.timer);
  state.timer = null;
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
  const video = $('camera');
  video.srcObject = null;
  video.hidden = true;
  $('start-camera').hidden = false;
  $('stop-camera').hidden = true;
}

function scanFrame() {
  if (!state.stream) return;
  const video = $('camera');
  if (video.readyState >= 2 && video.videoWidth > 0) {
    // At most 960 px on the long side: enough for a version-15 code filling a third of the frame.
    const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    canvas.width = width;
    canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const text = decodeCanvas(width, height, 'dontInvert');
    if (text && (isEdl1(text) || isLaterEdl(text))) {
      stopCamera();
      verifyText(text);
      return;
    }
    if (text) message(T.notEdl(text.slice(0, 40)), 'warn');
  }
  state.timer = setTimeout(scanFrame, SCAN_INTERVAL_MS);
}

async function imageOf(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(file);
    } catch {
      // Fall back to an <img> (some formats decode only there).
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function onUpload(event) {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  stopCamera();
  clearResult();
  let image;
  try {
    image = await imageOf(file);
  } catch (error) {
    message(T.photoError + (error?.message || String(error)), 'error');
    return;
  }
  const width = image.width;
  const height = image.height;
  const longSide = Math.max(width, height);
  // A few sizes of the long side, the most likely first; never larger than the photo.
  const sides = [1200, 800, 1800, 2600, 500].map((s) => Math.min(s, longSide));
  let other = null;
  for (const side of [...new Set(sides)]) {
    const scale = side / longSide;
    const w = Math.max(1, Math.round(width * scale));
    const h2 = Math.max(1, Math.round(height * scale));
    canvas.width = w;
    canvas.height = h2;
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, w, h2);
    context.drawImage(image, 0, 0, w, h2);
    const text = decodeCanvas(w, h2, 'attemptBoth');
    if (text && (isEdl1(text) || isLaterEdl(text))) {
      image.close?.();
      verifyText(text);
      return;
    }
    if (text) other = text;
    // Let the page breathe between sizes.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  image.close?.();
  message(other ? T.notEdl(other.slice(0, 40)) : T.noCodeInPhoto, 'error');
}

// ---------------------------------------------------------------------------------------------
// Verification: online first, offline when the network fails

async function verifyOnline(text, purpose, challengeHex) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ONLINE_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(VERIFY_URL, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ qr_text: text, purpose, challenge_hex: challengeHex }),
      signal: controller.signal,
    });
  } catch (error) {
    return { network: error?.name === 'AbortError' ? 'timeout' : (error?.message || 'network error') };
  } finally {
    clearTimeout(timer);
  }
  // A gateway that cannot reach the platform is the network failing, not the platform refusing.
  if ([502, 503, 504].includes(response.status)) return { network: `HTTP ${response.status}` };
  const json = (response.headers.get('content-type') ?? '').includes('application/json')
    ? await response.json().catch(() => null) : null;
  if (response.ok) {
    return json && Array.isArray(json.checks) ? { report: json } : { error: T.badResponse };
  }
  return { error: T.serverError(json?.error?.message ?? `HTTP ${response.status}`) };
}

async function verifyText(text) {
  if (state.busy) return;
  state.busy = true;
  message(T.verifying);
  const purpose = $('purpose').value || null;
  const challenge = state.challenge;
  const challengeHex = challenge ? toHex(challenge) : null;
  try {
    let networkWhy = navigator.onLine === false ? 'offline' : null;
    if (!networkWhy) {
      const online = await verifyOnline(text, purpose, challengeHex);
      if (online.report) {
        showResult(online.report, { mode: 'online' });
        return;
      }
      if (online.error) {
        message(online.error, 'error');
        return;
      }
      networkWhy = online.network;
    }
    // Offline: the cached material, if it may still be used.
    const at = new Date();
    const m = state.material;
    const fresh = materialFreshness(m, at);
    if (!m) {
      showUnverifiable(T.noMaterial, networkWhy);
      return;
    }
    if (!fresh.usable) {
      showUnverifiable(T.materialTooOld(formatTime(m.useUntil)), networkWhy);
      return;
    }
    const report = await verifyQrText(text, m, {
      at,
      challenge,
      allowedPurposes: purpose ? [purpose] : null,
    });
    showResult(report, { mode: 'offline', material: m, materialAge: fresh.ageSeconds, networkWhy });
  } finally {
    state.busy = false;
    if ($('challenge-toggle').checked) newChallenge(); // a challenge serves one check
  }
}

// ---------------------------------------------------------------------------------------------
// The result, for a checker: the verdict first and large, then photo, fields, time, status, why

function clearResult() {
  $('result').hidden = true;
  message('');
}

function modeBadge(mode, detail) {
  const badge = $('result-mode');
  badge.textContent = mode; // `online` or `offline` (shown upper-case by the stylesheet)
  badge.dataset.mode = mode;
  setText('result-mode-detail', detail);
}

function showUnverifiable(why, networkWhy) {
  message('');
  const verdict = $('verdict');
  verdict.dataset.valid = 'false';
  verdict.dataset.colour = 'none';
  verdict.dataset.state = 'unverifiable';
  verdict.replaceChildren(h('span', { class: 'verdict-main' }, T.unverifiable), h('span', { class: 'verdict-sub' }, lang === 'en' ? '无法核验' : 'CANNOT VERIFY'));
  modeBadge('offline', why + (networkWhy ? T.modeOfflineWhy(networkWhy) : ''));
  $('result-photo').replaceChildren();
  $('result-fields').replaceChildren();
  $('result-times').replaceChildren();
  $('result-failures').replaceChildren();
  $('result').hidden = false;
  $('result').scrollIntoView?.({ block: 'start' });
}

function showResult(report, { mode, material, materialAge, networkWhy }) {
  message('');
  const valid = report.valid === true;
  const colour = ['black', 'red', 'none'].includes(report.colour) ? report.colour : 'none';
  const verdict = $('verdict');
  verdict.dataset.valid = String(valid);
  verdict.dataset.colour = colour;
  verdict.dataset.state = valid ? 'valid' : 'invalid';
  const zh = valid ? STRINGS['zh-CN'].valid : STRINGS['zh-CN'].invalid;
  const en = valid ? STRINGS.en.valid : STRINGS.en.invalid;
  verdict.replaceChildren(...[
    h('span', { class: 'verdict-main' }, lang === 'en' ? en : zh),
    h('span', { class: 'verdict-sub' }, lang === 'en' ? zh : en),
    report.purpose ? h('span', { class: 'verdict-purpose' }, T.purposes[report.purpose] ?? report.purpose) : null,
  ].filter(Boolean));

  if (mode === 'online') {
    modeBadge('online', T.modeOnline);
  } else {
    modeBadge('offline', T.modeOffline(formatDuration(materialAge), formatTime(material.useUntil))
      + (networkWhy ? T.modeOfflineWhy(networkWhy) : ''));
  }

  // Photo: the online report carries a URL of the registry's photo; offline there is none.
  const photo = $('result-photo');
  const url = typeof report.portrait_url === 'string' && /^\/(?!\/)/.test(report.portrait_url) ? report.portrait_url : null;
  if (url) {
    photo.replaceChildren(h('img', { src: url, alt: T.photo, 'data-testid': 'result-photo-img' }));
  } else if (Object.keys(report.fields ?? {}).length > 0) {
    photo.replaceChildren(h('div', { class: 'photo-placeholder', 'data-testid': 'photo-placeholder' }, T.photoOffline));
  } else {
    photo.replaceChildren();
  }

  // Fields, in the card's order, with the card's Chinese labels.
  const order = Object.keys(LABELS_ZH);
  // The photo's digest says nothing to a checker who sees the photo itself.
  const fields = Object.entries(report.fields ?? {})
    .filter(([id]) => !(url && id === 'portrait'))
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const list = $('result-fields');
  list.replaceChildren(...fields.map(([id, value]) => h('div', { class: 'field', 'data-field': id },
    h('dt', {}, fieldLabel(report, id),
      lang === 'en' && T.labels[id] ? h('small', {}, ` ${T.labels[id]}`) : null),
    h('dd', { class: id === 'portrait' ? 'digest' : null }, displayValue(id, value)))));

  // 生成时间 and its age; the status and how current it is.
  const times = $('result-times');
  const rows = [];
  if (report.generated_at) {
    rows.push([T.generated, `${formatTime(report.generated_at)} · ${T.age(report.age_seconds)}`, 'generated']);
  }
  if (report.status) rows.push([T.status, statusText(report, mode, material), 'status']);
  times.replaceChildren(...rows.map(([label, value, key]) => h('div', { class: 'field', 'data-field': key },
    h('dt', {}, label), h('dd', {}, value))));

  // Why not valid: failed checks with their reasons; the unchecked ones counted.
  const checks = Array.isArray(report.checks) ? report.checks : [];
  const failedChecks = checks.filter((c) => c.outcome === 'failed');
  const notChecked = checks.filter((c) => c.outcome === 'not_checked').length;
  const failures = $('result-failures');
  failures.replaceChildren(...(failedChecks.length === 0 ? [] : [
    h('h3', {}, T.failures),
    h('ul', {}, failedChecks.map((c) => h('li', { 'data-check': c.name },
      h('strong', {}, T.checks[c.name] ?? c.name), h('span', { class: 'reason' }, c.reason ?? '')))),
    notChecked ? h('p', { class: 'not-checked' }, T.notChecked(notChecked)) : null,
  ].filter(Boolean)));

  $('result').hidden = false;
  $('result').scrollIntoView?.({ block: 'start' });
}

// The code's status letters are those signed when the credential was issued; the live status is
// the status line below the fields. Saying so keeps a checker from reading 正常 here as the verdict
// on a licence suspended since.
function fieldLabel(report, id) {
  if (id === 'status_letters') return '签发时状态';
  return report.labels?.[id] ?? LABELS_ZH[id] ?? id;
}

function displayValue(id, value) {
  if (value === true) return T.yes;
  if (value === false) return T.no;
  if (id === 'status_letters' && typeof value === 'string') {
    const zh = statusLettersZh(value);
    return zh === value ? value : `${zh}（${value}）`;
  }
  if (value === '长期') return T.longTerm;
  return String(value);
}

function statusText(report, mode, material) {
  const s = report.status;
  const name = T.statusStates[s.state] ?? s.state;
  if (mode === 'online' && !s.list_issued_at) return `${name} · ${T.statusOnline}`;
  if (s.list_issued_at) {
    const region = Number(report.signer?.region);
    const list = mode === 'offline' && Number.isInteger(region) ? statusListFor(material, region) : null;
    return `${name} · ${T.statusList(formatTime(s.list_issued_at), formatDuration(s.list_age_seconds ?? 0),
      list ? formatTime(list.expiresAt) : null)}`;
  }
  return s.reason ? `${name} · ${s.reason}` : name;
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  document.title = T.title;
  setText('title', T.title);
  setText('purpose-label', T.purpose);
  setText('challenge-label', T.challenge);
  setText('challenge-hint', T.challengeHint);
  setText('new-challenge', T.newChallenge);
  setText('start-camera', T.startCamera);
  setText('stop-camera', T.stopCamera);
  setText('upload-label', T.upload);
  setText('scan-again', T.scanAgain);
  setText('fields-heading', T.fields);
  setUpPurposes();

  $('challenge-toggle').addEventListener('change', onChallengeToggle);
  $('new-challenge').addEventListener('click', newChallenge);
  $('start-camera').addEventListener('click', startCamera);
  $('stop-camera').addEventListener('click', stopCamera);
  $('upload').addEventListener('change', onUpload);
  $('scan-again').addEventListener('click', () => {
    clearResult();
    startCamera();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) stopCamera();
  });

  showMaterial();
  loadCachedMaterial();
  refreshMaterial();
  setInterval(refreshMaterial, MATERIAL_REFRESH_MS);
  window.addEventListener('online', refreshMaterial);
  // The material's use_until passes while the page stays open: keep the line honest.
  setInterval(showMaterial, 60_000);

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/scanner/sw.js', { scope: '/scanner/' }).catch(() => {});
  }
  $('app').dataset.ready = 'true';
}

// For browser tests and support: verify a text as if it had been scanned.
window.edlScanner = { verifyText };

start();
