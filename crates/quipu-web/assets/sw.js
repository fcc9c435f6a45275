// The wallet's service worker (VERSION and SHELL are written above by the server). It keeps the pay
// screen and its scripts, so a phone with no signal, or a link that never answers, still shows its
// code. It never keeps an API answer nor any other page: balances and payments are only shown fresh.
// The kept pay screen is one person's (its `Quipu-User` header names them): it is dropped as soon as
// the network shows someone else, or nobody, signed in on this browser.
const PAY = '/wallet/pay';
const USER = 'Quipu-User';
// How long the pay screen waits for the network before showing the kept one (a till is waiting),
// and how long another wallet page waits before the pay screen stands in for it.
const PAY_WAIT_MS = 2000;
const PAGE_WAIT_MS = 8000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await cache.addAll(SHELL);
    // The pay screen as the signed-in person sees it; a redirect to sign in is not kept.
    const page = await fetch(PAY, { redirect: 'manual', credentials: 'same-origin' });
    if (page.ok && page.headers.get(USER)) await cache.put(PAY, page);
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

// What a wallet page from the network says about who is signed in: the pay screen is kept for its
// person; any other page of someone else's, or a redirect to sign in, drops the kept one.
async function learn(response, isPay) {
  const cache = await caches.open(VERSION);
  const user = response.headers.get(USER);
  if (response.type === 'opaqueredirect') return cache.delete(PAY);
  if (!user) return; // a page for nobody in particular (sign-up)
  if (isPay && response.ok) return cache.put(PAY, response);
  const kept = await cache.match(PAY);
  if (kept && kept.headers.get(USER) !== user) await cache.delete(PAY);
}

// The network's page if it comes within `wait`, else the kept pay screen (when there is one; with
// none, the network's answer whenever it comes). A late answer still updates what is kept.
async function navigate(event, isPay) {
  const network = fetch(event.request).then(async (response) => {
    await learn(response.clone(), isPay).catch(() => {});
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  const late = new Promise((resolve) => setTimeout(resolve, isPay ? PAY_WAIT_MS : PAGE_WAIT_MS, null));
  const first = await Promise.race([network, late]).catch(() => null);
  if (first) return first;
  return (await caches.match(PAY)) || network;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    // Hashed URLs never change: the cache first.
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  } else if (event.request.mode === 'navigate' && url.pathname.startsWith('/wallet/')) {
    // The network first (a fresh page, a fresh CSRF token), within a bounded wait.
    event.respondWith(navigate(event, url.pathname === PAY));
  }
});
