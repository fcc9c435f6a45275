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

// "Shops near me": the phone's location is asked for only when the button is pressed, and goes
// into the search form as it is; choosing an area afterwards wins over it.
const near = document.getElementById('near-me');
if (near?.form && navigator.geolocation) {
  near.hidden = false;
  near.addEventListener('click', () => {
    const form = near.form;
    const said = document.getElementById('near-me-said');
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => {
        form.elements.lat.value = coords.latitude.toFixed(5);
        form.elements.lon.value = coords.longitude.toFixed(5);
        form.elements.area.value = '';
        form.submit();
      },
      () => { if (said) said.textContent = near.dataset.failed; },
      { timeout: 15000, maximumAge: 300000 },
    );
  });
}

// At checkout, "I am at the door": the phone's place goes with a delivery (only when asked), so
// the customer's order page can say how far away the courier is.
for (const button of document.querySelectorAll('button.door-here')) {
  if (!navigator.geolocation) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    const form = button.form;
    const seller = button.dataset.seller;
    const said = button.nextElementSibling;
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => {
        form.elements[`lat-${seller}`].value = coords.latitude.toFixed(6);
        form.elements[`lon-${seller}`].value = coords.longitude.toFixed(6);
        said.textContent = button.dataset.said;
      },
      () => { said.textContent = button.dataset.failed; },
      { timeout: 15000, maximumAge: 60000 },
    );
  });
}
