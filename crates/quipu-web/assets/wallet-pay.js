// The wallet's pay screen. The code is computed here from the device key (paycode.js), so it shows
// with the phone offline; online, the screen hears the till's charge live and asks for the PIN when
// the payment is above the approval threshold. The pay page imports its helpers by their hashed
// URLs, which it reads from its own <link rel=modulepreload> tags.
const root = document.getElementById('pay');
const urls = Object.fromEntries([...document.querySelectorAll('link[rel=modulepreload]')].map((l) => [l.dataset.name, l.href]));
const [{ importDeviceSecret, paymentCode, saveDevice, loadDevice, clearDevice, step }, { qrSvg }, { code128Svg }, qrcodegen] =
  await Promise.all([import(urls.paycode), import(urls.qr), import(urls.code128), import(urls.qrcodegen).then((m) => m.default)]);

const $ = (id) => document.getElementById(id);
const say = (text) => { $('status').textContent = text; };
// The offline badge follows what the network does, not navigator.onLine (which some browsers, headless
// Chromium among them, report wrongly): a failed request or an `offline` event shows it; an answer,
// the live stream opening or an `online` event hides it.
const offline = (yes) => { $('offline').hidden = !yes; };
addEventListener('offline', () => offline(true));
addEventListener('online', () => offline(false));
const api = (path, body) => fetch(path, {
  method: 'POST',
  credentials: 'same-origin',
  headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': root.dataset.csrf, 'Idempotency-Key': crypto.randomUUID() },
  body: JSON.stringify(body),
});

// The server's clock is the one codes are checked against: remember how far ours is from it.
const SKEW = 'quipu-skew-ms';
const now = () => (Date.now() + Number(localStorage.getItem(SKEW) || 0)) / 1000;
function learnSkew(response) {
  const date = Date.parse(response.headers.get('Date'));
  if (!Number.isNaN(date)) localStorage.setItem(SKEW, String(date - Date.now()));
}

let device;
let shown = { step: -1, slot: 0 };

async function render() {
  const t = now();
  const current = step(t);
  if (current !== shown.step) shown = { step: current, slot: 0 };
  const code = await paymentCode(device.key, device.deviceRef, t, shown.slot);
  if ($('digits').dataset.code !== code) {
    $('digits').dataset.code = code;
    // Groups of four that never break inside (each its own unbreakable box), spaced by text spaces.
    $('digits').replaceChildren(...code.match(/\d{1,4}/g).flatMap((group, i) => {
      const span = document.createElement('span');
      span.textContent = group;
      return i ? [' ', span] : [span];
    }));
    $('qr').innerHTML = qrSvg(code, qrcodegen, 8);
    $('barcode').innerHTML = code128Svg(code, 2, 64);
  }
  $('expires').textContent = root.dataset.msgCountdown.replace('{s}', String(60 - Math.floor(t % 60)));
}

let ticking;
function showCode() {
  $('enrol').hidden = true;
  $('code').hidden = false;
  render();
  ticking = setInterval(render, 1000);
  listen();
}

// The key is wiped and the enrolment form shown instead of a code: the key is not this person's.
async function forget(message) {
  clearInterval(ticking);
  events?.close();
  device = undefined;
  await clearDevice();
  $('code').hidden = true;
  delete $('digits').dataset.code;
  for (const id of ['digits', 'expires', 'qr', 'barcode']) $(id).textContent = '';
  $('enrol').hidden = false;
  if (message) say(message);
}

// A paused phone shows no code; it keeps its key for when the person resumes it.
function pause(message) {
  clearInterval(ticking);
  events?.close();
  $('code').hidden = true;
  for (const id of ['digits', 'expires', 'qr', 'barcode']) $(id).textContent = '';
  delete $('digits').dataset.code;
  say(message);
}

// Online, the server says whether this key is still one of the signed-in person's active devices
// (removed or enrolled by someone else: wiped; paused: no code). Offline, the code shows all the same.
async function confirmDevice() {
  const response = await fetch('/api/v1/me/devices', { credentials: 'same-origin' }).catch(() => null);
  offline(!response);
  if (!response || response.status >= 500 || !device) return;
  const mine = response.ok ? await response.json().catch(() => null) : [];
  if (!Array.isArray(mine)) return;
  const own = mine.find((d) => d.id === device.deviceId);
  if (!own || own.status === 'revoked') return forget(root.dataset.msgGone);
  // Paused from settings: no code while it is, but the key stays, so resuming needs no new enrolment.
  if (own.status !== 'active') return pause(root.dataset.msgPaused);
  if (!device.userId) {
    // A key saved before keys named their holder: the server says it is this person's.
    device.userId = root.dataset.user;
    await saveDevice(device);
    showCode();
  }
}

// A new code within the same minute: the next slot (each pays at most once).
$('next').addEventListener('click', () => {
  if (shown.slot < 9) shown.slot += 1;
  render();
});

// A refusal in the reader's words (with the attempts a wrong PIN leaves), never the API's English detail.
async function refusal(response) {
  const problem = await response.json().catch(() => ({}));
  const query = new URLSearchParams({ code: problem.code ?? 'unknown' });
  if (Number.isInteger(problem.attempts_left)) query.set('attempts', problem.attempts_left);
  return fetch(`/messages/problem?${query}`).then((words) => words.text(), () => root.dataset.msgOffline);
}

$('enrol').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await api('/api/v1/me/devices', { label: form.get('label'), pin: form.get('pin') }).catch(() => null);
  offline(!response);
  if (!response) return say(root.dataset.msgOffline);
  if (!response.ok) return say(await refusal(response));
  const answer = await response.json();
  learnSkew(response);
  const secret = Uint8Array.from(answer.secret_hex.match(/../g), (byte) => parseInt(byte, 16));
  const key = await importDeviceSecret(secret);
  device = { key, deviceRef: Number(answer.device.device_ref), deviceId: answer.device.id, userId: root.dataset.user };
  await saveDevice(device);
  say(root.dataset.msgEnrolled);
  showCode();
});

// Live results while online; an offline phone shows the code all the same (EventSource keeps
// trying on its own, so it hears the till again when the signal is back).
let approving;
let events;
// An event is an envelope ({id, type, created_at, data}); the payment is its data.
const paymentOf = (message) => JSON.parse(message.data).data;
function listen() {
  events = new EventSource('/api/v1/me/events');
  events.addEventListener('open', () => offline(false));
  events.addEventListener('payment.completed', (message) => {
    const payment = paymentOf(message);
    say(`${root.dataset.msgPaid} ${payment.merchant_name} ${payment.amount.amount} ${payment.amount.currency}`);
    $('approve').hidden = true;
    $('next').click();
  });
  events.addEventListener('payment.failed', () => { say(root.dataset.msgFailed); $('approve').hidden = true; });
  events.addEventListener('payment.awaiting_approval', (message) => {
    approving = paymentOf(message);
    say(`${root.dataset.msgApprove} ${approving.merchant_name} ${approving.amount.amount} ${approving.amount.currency}`);
    $('approve').hidden = false;
    $('approve-pin').focus();
  });
}

$('approve').addEventListener('submit', async (event) => {
  event.preventDefault();
  const pin = new FormData(event.target).get('pin');
  const response = await api(`/api/v1/payments/${approving.id}/approve`, { pin }).catch(() => null);
  if (!response) return say(root.dataset.msgOffline);
  event.target.reset();
  if (!response.ok) return say(await refusal(response));
});

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/wallet/sw.js', { scope: '/wallet/' });
fetch('/wallet/manifest.webmanifest', { method: 'HEAD' }).then((response) => { offline(false); learnSkew(response); }, () => offline(true));

// A key is used only for the person who enrolled it; one of anybody else's (a shared phone) is wiped.
// One saved before keys named their holder shows only once the server says whose it is.
device = await loadDevice();
if (device?.userId && device.userId !== root.dataset.user) await forget();
if (device?.userId) {
  showCode();
  confirmDevice();
} else if (device) confirmDevice();
else $('enrol').hidden = false;
