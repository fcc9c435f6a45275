// A courier's home page while they are online and between jobs: where the phone is goes to the
// server (at most once a minute, or after 200 m), so offers around a shop reach the couriers near
// it. Only the newest fix matters here: nothing is queued.
const root = document.getElementById('courier-home');
const EVERY_MS = 60_000;
const METRES = 200;
let last = null;

const metresBetween = (a, b) => {
  const rad = Math.PI / 180;
  const h = Math.sin((b.latitude - a.latitude) * rad / 2) ** 2
    + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin((b.longitude - a.longitude) * rad / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
};

function took(position) {
  const fix = {
    at: new Date(position.timestamp).toISOString(),
    latitude: Number(position.coords.latitude.toFixed(6)),
    longitude: Number(position.coords.longitude.toFixed(6)),
  };
  if (last && position.timestamp - last.time < EVERY_MS && metresBetween(last, fix) < METRES) return;
  last = { ...fix, time: position.timestamp };
  fetch('/api/v1/courier/position', {
    method: 'PUT',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': root.dataset.csrf },
    body: JSON.stringify(fix),
  }).catch(() => { last = null; });
}

if (root && root.dataset.online === 'true' && 'geolocation' in navigator) {
  navigator.geolocation.watchPosition(took, () => {}, { enableHighAccuracy: false, maximumAge: 60_000 });
}
