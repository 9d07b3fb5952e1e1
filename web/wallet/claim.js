// 申领: make a non-extractable ECDSA P-256 device key, prove possession by signing the server's
// one-time challenge, receive the credentials bound to that key, keep key and credentials in
// IndexedDB. The private key never leaves this browser.

import { put, toHex, fromHex } from './wallet-db.js';

const button = document.getElementById('claim');
const status = document.getElementById('claim-status');
const say = (text) => { if (status) status.textContent = text; };

async function claim() {
  const csrf = button.dataset.csrf;
  button.disabled = true;
  say('正在生成设备密钥… Creating the device key…');
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const challenge = await fetch('/wallet/api/claim/challenge', { method: 'POST', headers: { 'x-csrf-token': csrf } });
  const { nonce, error } = await challenge.json();
  if (!challenge.ok) throw new Error(error);
  const context = new TextEncoder().encode('EDL1-CLAIM');
  const message = new Uint8Array(context.length + 32 + publicKey.length);
  message.set(context, 0);
  message.set(fromHex(nonce), context.length);
  message.set(publicKey, context.length + 32);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, message));
  const response = await fetch('/wallet/api/claim', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ nonce, public_key: toHex(publicKey), signature: toHex(signature) }),
  });
  const issued = await response.json();
  if (!response.ok) throw new Error(issued.error);
  await put('keys', 'device', pair);
  await put('credentials', 'current', { ...issued, claimed_at: Date.now() });
  say('申领成功 Claimed.');
  location.href = '/wallet/card';
}

button?.addEventListener('click', () => {
  claim().catch((e) => { say(`申领失败 Claim failed: ${e.message}`); button.disabled = false; });
});
