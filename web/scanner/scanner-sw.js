// The scanner's service worker (served at /scanner/sw.js, scope /scanner/): keeps the page and its
// scripts so that the page opens with the network off, and the checker can still verify offline
// with the cached trust and status material (which the page keeps itself, in IndexedDB).
// Nothing under /scanner/api/ is ever cached here: a verification is the registry's word now or
// nothing, and the material carries its own use_until.

const CACHE = 'edl-scanner-v1';
const ASSETS = [
  '/scanner/assets/scanner.css',
  '/scanner/assets/scanner.js',
  '/scanner/assets/edl-verify.js',
  '/scanner/vendor/jsqr/jsQR.js',
  '/wallet/assets/edl-qr.js',
  '/wallet/vendor/qrcode-generator/qrcode.mjs',
];
// A network that hangs (a dead Wi-Fi) must not keep the checker waiting: the cache answers then.
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  // The page itself is not fetched here: it needs the staff session and is cached when opened.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('edl-scanner-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function fetchWithTimeout(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), NETWORK_TIMEOUT_MS);
    fetch(request).then(
      (response) => { clearTimeout(timer); resolve(response); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

/** Network first; a good answer refreshes the cache; the cached copy when the network fails. */
function networkFirst(event, cacheable) {
  event.respondWith(
    fetchWithTimeout(event.request)
      .then((response) => {
        if (cacheable(response)) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(event.request, copy)));
        }
        return response;
      })
      .catch(async () => {
        const cached = await caches.match(event.request, { ignoreSearch: true });
        if (cached) return cached;
        return Response.error();
      }),
  );
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return; // POST /scanner/api/verify among others: never touched
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/scanner/api/')) return; // never cached
  if (ASSETS.includes(url.pathname)) {
    networkFirst(event, (response) => response.ok);
    return;
  }
  // The page (any page under the scope): cached only when it really is the page, not a login
  // redirect or an error.
  if (request.mode === 'navigate' && url.pathname.startsWith('/scanner/')) {
    networkFirst(event, (response) => response.ok && !response.redirected
      && (response.headers.get('content-type') ?? '').includes('text/html'));
  }
});
