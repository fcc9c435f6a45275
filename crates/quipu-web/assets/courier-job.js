// A courier's job page, while the job is under way. The phone's position (Geolocation) goes to the
// server at most every 15 s, or sooner after 50 m; fixes taken with no signal wait in a queue (the
// newest 60) and go in one batch when the signal comes back. At the door with no signal, the
// customer's code is kept with the time it was typed and sent when the phone reconnects: the page
// says "waiting to confirm", and nothing is paid until the server has checked it. Nothing is kept
// after the job: the queue lives in this page, the code in sessionStorage until it is answered
// (and sign-out clears the site's storage).
const root = document.getElementById('job');
const job = root.dataset.job;
const csrf = root.dataset.csrf;
const EVERY_MS = 15_000;
const METRES = 50;
const MAX_QUEUE = 60;
const PENDING = `quipu-courier-deliver-${job}`;

const api = (path, body) => fetch(`/api/v1/courier/jobs/${job}/${path}`, {
  method: 'POST',
  credentials: 'same-origin',
  headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
  body: JSON.stringify(body),
});

// Positions: thinned here, batched, and sent again after a failure.
let queue = [];
let last = null;
let sending = false;
const metresBetween = (a, b) => {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
};

async function flush() {
  if (sending || queue.length === 0) return;
  sending = true;
  const batch = queue.slice(0, MAX_QUEUE);
  const answer = await api('positions', { positions: batch }).catch(() => null);
  sending = false;
  // Sent, or refused for good (a 4xx will not improve): either way those fixes are done with.
  if (answer && (answer.ok || (answer.status >= 400 && answer.status < 500))) {
    queue = queue.slice(batch.length);
    if (queue.length > 0) flush();
  }
}

function took(position) {
  const fix = {
    at: new Date(position.timestamp).toISOString(),
    latitude: Number(position.coords.latitude.toFixed(6)),
    longitude: Number(position.coords.longitude.toFixed(6)),
  };
  const due = !last || position.timestamp - last.time >= EVERY_MS || metresBetween(last, fix) >= METRES;
  if (!due) return;
  last = { ...fix, time: position.timestamp };
  queue.push(fix);
  if (queue.length > MAX_QUEUE) queue = queue.slice(queue.length - MAX_QUEUE);
  flush();
}

if (root.dataset.tracking === 'true' && 'geolocation' in navigator) {
  navigator.geolocation.watchPosition(took, () => {
    document.getElementById('position-state').textContent = root.dataset.msgNoPosition;
  }, { enableHighAccuracy: true, maximumAge: 10_000 });
  addEventListener('online', flush);
}

// Delivery, with signal or without: the code and when it was typed are kept, then sent. A phone
// with no signal keeps trying (on reconnect, and every 15 s) and says "waiting to confirm"; the
// server's refusal (a wrong code) is shown in the reader's language from the page's own messages.
const waiting = document.getElementById('waiting');
const form = document.getElementById('deliver');
const say = (text) => { waiting.textContent = text; waiting.hidden = !text; };

async function sendPending() {
  const pending = sessionStorage.getItem(PENDING);
  if (!pending) return;
  const answer = await api('deliver', JSON.parse(pending)).catch(() => null);
  if (!answer) {
    say(root.dataset.msgWaiting);
    return;
  }
  sessionStorage.removeItem(PENDING);
  if (answer.ok) {
    location.replace('/courier/?done=delivered');
    return;
  }
  const problem = await answer.json().catch(() => null);
  const key = `error${(problem?.code || '').split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
  say(root.dataset[key] || root.dataset.errorOther);
}

if (form) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = form.elements.code.value.trim();
    sessionStorage.setItem(PENDING, JSON.stringify({ code, typed_at: new Date().toISOString() }));
    sendPending();
  });
  addEventListener('online', sendPending);
  setInterval(sendPending, EVERY_MS);
  sendPending();
}
