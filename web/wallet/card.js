// The card (亮码): the front page (正页) and back page (副页) drawn from what this browser keeps,
// and the QR code re-signed with the device key every 30 seconds, with its 生成时间, a countdown and
// the current time ticking. Online, the card's data is refreshed from the registry first (a
// suspension turns the code red); offline, the kept data is shown and the code still verifies.

import { get, put, fromHex } from './wallet-db.js';
import { makeQrText, renderQr } from './edl-qr.js';

const INTERVAL_SECONDS = 30;
const PURPOSE_CODES = { roadside: 1, business_window: 2, car_rental: 3, transport_company: 4, insurer: 5 };
const REFRESH_BEFORE_MS = 7 * 24 * 3600 * 1000;

const card = document.getElementById('card');
const purposeSelect = document.getElementById('purpose');

function pad(n) { return String(n).padStart(2, '0'); }
function beijing(ms) {
  const d = new Date(ms + 8 * 3600 * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
function el(tag, attrs = {}, text = '') {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text instanceof Node) node.append(text);
  else if (text) node.textContent = text;
  return node;
}

async function refreshDisplay(stored) {
  try {
    const response = await fetch('/wallet/api/licence', { credentials: 'same-origin' });
    if (!response.ok) return { stored, online: false };
    stored.display = await response.json();
    stored.refreshed_at = Date.now();
    await put('credentials', 'current', stored);
    return { stored, online: true };
  } catch {
    return { stored, online: false };
  }
}

// The card keeps the national layout's Chinese labels in every language; an English page adds the
// English name under each (the page's <html lang> says which).
const ENGLISH = document.documentElement.lang === 'en';
const LABELS_EN = {
  姓名: 'Name', 性别: 'Sex', 国籍: 'Nationality', 出生日期: 'Date of birth', 证号: 'Licence number',
  准驾车型: 'Classes', 初次领证日期: 'First issued', 有效期限: 'Valid', 档案编号: 'File number', 状态: 'Status',
  累积记分: 'Points', 生成时间: 'Generated', 当前时间: 'Now', 下次刷新: 'Next refresh', 住址: 'Address',
  发证机关: 'Issuing authority', 记录: 'Record',
  '中华人民共和国机动车驾驶证 · 正页': "Motor vehicle driving licence of the People's Republic of China · front",
  副页: 'Back',
};

/** A label (or page title) with its English name under it on an English page. */
function bilingual(zh) {
  if (!ENGLISH || !LABELS_EN[zh]) return zh;
  const span = el('span', {}, zh);
  span.append(el('small', { class: 'en' }, LABELS_EN[zh]));
  return span;
}

function field(label, value, id) {
  const row = el('div', { class: 'field' });
  row.append(el('span', { class: 'label' }, bilingual(label)), el('span', { class: 'value', id }, String(value ?? '')));
  return row;
}

function drawPages(d, stored, online) {
  card.replaceChildren();
  card.dataset.display = d.display;
  const front = el('section', { class: 'page front', id: 'front' });
  front.append(el('h2', {}, bilingual('中华人民共和国机动车驾驶证 · 正页')));
  const body = el('div', { class: 'front-body' });
  const photo = el('img', { class: 'photo', alt: '照片', id: 'photo' });
  const bytes = fromHex(d.portrait_jpeg_hex);
  photo.src = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
  const fields = el('div', { class: 'fields' });
  fields.append(
    field('姓名', d.name, 'f-name'), field('性别', d.sex, 'f-sex'), field('国籍', d.nationality, 'f-nationality'),
    field('出生日期', d.birth_date, 'f-birth'), field('证号', d.document_number, 'f-number'),
    field('准驾车型', d.classes, 'f-classes'), field('初次领证日期', d.first_issue_date, 'f-first'),
    field('有效期限', `${d.valid_from} 至 ${d.valid_until}`, 'f-validity'), field('档案编号', d.file_number, 'f-file'),
    field('状态', d.status, 'f-status'), field('累积记分', d.points, 'f-points'),
  );
  body.append(photo, fields);
  front.append(body);
  const statusLine = el('p', { class: `status-line ${d.display}`, id: 'status-line' });
  if (d.display === 'red') statusLine.textContent = `${d.status}：驾驶证状态异常，不能驾驶机动车 · not valid for driving`;
  if (d.display === 'none') statusLine.textContent = `${d.status}：驾驶证已不再显示 · this licence is no longer displayed`;
  front.append(statusLine);
  const qr = el('div', { class: `qr ${d.display}`, id: 'qr' });
  front.append(qr);
  // The 1-D barcode of the 证号 (Code 128), drawn by the vendored JsBarcode; the number under it.
  const barcode = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  barcode.setAttribute('id', 'barcode');
  barcode.setAttribute('class', 'barcode');
  front.append(barcode);
  if (typeof globalThis.JsBarcode === 'function') {
    globalThis.JsBarcode(barcode, d.document_number, { format: 'CODE128', height: 48, width: 1.6, margin: 0, fontSize: 14, textMargin: 2 });
  }
  const times = el('div', { class: 'times' });
  times.append(
    field('生成时间', '', 'generated'), field('当前时间', '', 'now'), field('下次刷新', '', 'countdown'),
  );
  front.append(times);
  const notes = el('p', { class: 'notes', id: 'notes' });
  const validUntil = (stored.valid_until ?? 0) * 1000;
  const parts = [online ? '已联网，数据为最新 · online, data current' : `离线显示 · offline, data of ${beijing(stored.refreshed_at ?? stored.claimed_at)}`];
  if (validUntil - Date.now() < REFRESH_BEFORE_MS) parts.push('凭证即将到期，请联网重新申领 · the credentials need refreshing: claim again while online');
  notes.textContent = parts.join(' · ');
  front.append(notes);

  const back = el('section', { class: 'page back', id: 'back' });
  back.append(el('h2', {}, bilingual('副页')));
  back.append(field('住址', d.address, 'f-address'), field('发证机关', d.authority, 'f-authority'),
    field('记录', d.points > 0 ? `本周期记分 ${d.points} 分` : '无', 'f-record'));
  card.append(front, back);
}

async function main() {
  const key = await get('keys', 'device');
  let stored = await get('credentials', 'current');
  if (!key || !stored) {
    card.replaceChildren(el('p', { id: 'card-message' }, '本浏览器尚未申领电子驾驶证。 This browser holds no e-licence yet.'));
    return;
  }
  const refreshed = await refreshDisplay(stored);
  stored = refreshed.stored;
  const d = stored.display;
  drawPages(d, stored, refreshed.online);
  let generated = 0;
  async function sign() {
    const purpose = purposeSelect.value;
    const credential = stored.qr[purpose];
    if (d.display === 'none' || !credential) {
      document.getElementById('qr').replaceChildren();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const text = await makeQrText(fromHex(credential), PURPOSE_CODES[purpose], now, new Uint8Array(0), key.privateKey);
    const qr = document.getElementById('qr');
    qr.innerHTML = renderQr(text, { moduleSize: 4, colour: d.display === 'red' ? '#b00000' : '#000000' });
    qr.dataset.text = text;
    generated = now * 1000;
    document.getElementById('generated').textContent = beijing(generated);
  }
  function tick() {
    document.getElementById('now').textContent = beijing(Date.now());
    const left = Math.max(0, INTERVAL_SECONDS - Math.floor((Date.now() - generated) / 1000));
    document.getElementById('countdown').textContent = `${left} 秒`;
    if (left === 0) sign().catch(showError);
  }
  purposeSelect.addEventListener('change', () => sign().catch(showError));
  await sign();
  tick();
  setInterval(tick, 1000);
}

function showError(e) {
  const message = document.getElementById('card-message') ?? card.appendChild(el('p', { id: 'card-message' }));
  message.textContent = `出错了 Error: ${e.message}`;
}

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/wallet/sw.js', { scope: '/wallet/' }).catch(() => {});
main().catch(showError);
