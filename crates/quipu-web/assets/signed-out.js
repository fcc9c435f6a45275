// Where sign-out lands: drops what the wallet and the market kept on this browser for whoever was signed in (the
// phone's payment key, the kept pay screen, the service worker that kept it), as the sign-out's
// Clear-Site-Data header asks; some browsers do not honour it (over plain http, say). Then it marks
// the page, so whoever waits for the sign-out knows the browser keeps nothing.
const settled = (request) => new Promise((resolve) => {
  request.onsuccess = request.onerror = request.onblocked = () => resolve();
});
const keptCaches = async () => {
  const names = await globalThis.caches?.keys() ?? [];
  await Promise.all(names.filter((name) => name.startsWith('wallet-') || name.startsWith('market-')).map((name) => caches.delete(name)));
};
const workers = async () => {
  const registrations = await navigator.serviceWorker?.getRegistrations() ?? [];
  await Promise.all(registrations.map((registration) => registration.unregister()));
};
try {
  await Promise.allSettled([settled(indexedDB.deleteDatabase('quipu-wallet')), keptCaches(), workers()]);
  localStorage.removeItem('quipu-skew-ms');
} finally {
  document.documentElement.dataset.wiped = 'yes';
}
