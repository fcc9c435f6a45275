// The wallet's service worker (VERSION and SHELL are written above by the server). It keeps the pay
// screen and its scripts, so a phone with no signal still shows its code. It never keeps an API
// answer: balances and payments are only ever shown fresh.
const PAY = '/wallet/pay';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await cache.addAll(SHELL);
    // The pay screen as the signed-in person sees it; a redirect to sign in is not kept.
    const page = await fetch(PAY, { redirect: 'manual', credentials: 'same-origin' });
    if (page.ok) await cache.put(PAY, page);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('wallet-') && name !== VERSION).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    // Hashed URLs never change: the cache first.
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  } else if (url.pathname === PAY) {
    // The network first (a fresh page, a fresh CSRF token), the kept page when there is none.
    event.respondWith((async () => {
      try {
        const response = await fetch(event.request);
        if (response.ok && !response.redirected) {
          const cache = await caches.open(VERSION);
          await cache.put(PAY, response.clone());
        }
        return response;
      } catch {
        return (await caches.match(PAY)) || Response.error();
      }
    })());
  }
});
