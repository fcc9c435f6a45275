// The market's service worker (VERSION and SHELL are written above by the server). It keeps the
// market pages last seen on this browser (shops, the cart, orders) so that with no signal, or a
// link that never answers, they still open as they were, and `market.js` says so. It never keeps
// an API answer. Pages of a signed-in person carry their `Quipu-User`: they are dropped as soon as
// the network shows someone else, or nobody, signed in here (and sign-out wipes everything).
const USER = 'Quipu-User';
// How long a page waits for the network before the kept copy stands in for it.
const PAGE_WAIT_MS = 6000;
// Most pages kept: the oldest go first.
const MAX_PAGES = 40;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await cache.addAll(SHELL);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('market-') && name !== VERSION).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

// Keeps a page from the network, and drops every kept page of a person who is no longer the one
// signed in (a page for nobody, the sign-in page, or someone else's page).
async function keep(request, response) {
  const cache = await caches.open(VERSION);
  const user = response.headers.get(USER) || '';
  const pages = (await cache.keys()).filter((kept) => new URL(kept.url).pathname.startsWith('/market/'));
  for (const kept of pages) {
    const owner = (await cache.match(kept))?.headers.get(USER) || '';
    if (owner && owner !== user) await cache.delete(kept);
  }
  // A page that sent the browser elsewhere (to sign in) is not this page.
  if (response.redirected || !response.ok) return;
  await cache.put(request, response);
  const all = (await cache.keys()).filter((kept) => new URL(kept.url).pathname.startsWith('/market/'));
  for (const old of all.slice(0, Math.max(0, all.length - MAX_PAGES))) await cache.delete(old);
}

async function navigate(event) {
  const network = fetch(event.request).then(async (response) => {
    await keep(event.request, response.clone()).catch(() => {});
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  const late = new Promise((resolve) => setTimeout(resolve, PAGE_WAIT_MS, null));
  const first = await Promise.race([network, late]).catch(() => null);
  if (first) return first;
  const kept = await caches.match(event.request, { ignoreSearch: true });
  return kept || network;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  } else if (event.request.mode === 'navigate' && url.pathname.startsWith('/market/')) {
    event.respondWith(navigate(event));
  }
});
