// Every market page: installs the market's service worker (it keeps the pages last seen, for a
// dropped connection), and says plainly when the page shown may be an old copy because the server
// cannot be reached: what is on it may have changed, and nothing sent now goes through until the
// signal returns (a checkout sent again later is the same checkout: it never pays twice).
navigator.serviceWorker?.register('/market/sw.js', { scope: '/market/' }).catch(() => {});
const banner = document.getElementById('offline');
const probe = async () => {
  const timeout = new Promise((resolve) => setTimeout(resolve, 4000, null));
  const answer = await Promise.race([fetch('/healthz', { cache: 'no-store' }).catch(() => null), timeout]);
  if (banner) banner.hidden = Boolean(answer?.ok);
};
if (banner) {
  probe();
  addEventListener('online', probe);
  addEventListener('offline', () => { banner.hidden = false; });
}
