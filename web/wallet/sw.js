// The wallet's service worker: keeps the card page and its scripts so that the card opens with
// the network off. The API is never cached (it is the registry's current word, or nothing).

const CACHE = 'edl-wallet-v2';
const SHELL = [
  '/wallet/card',
  '/wallet/assets/wallet.css',
  '/wallet/assets/card.js',
  '/wallet/assets/wallet-db.js',
  '/wallet/assets/edl-qr.js',
  '/wallet/vendor/qrcode-generator/qrcode.mjs',
  '/wallet/vendor/jsbarcode/JsBarcode.code128.min.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin) return;
  if (!SHELL.includes(url.pathname)) return;
  // Network first (fresh pages when online), the cached copy when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
