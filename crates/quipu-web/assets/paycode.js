// Payment codes (docs/payment-codes.md) made in the browser, so the wallet shows one offline.
// The secret becomes a non-extractable key kept in IndexedDB: page script can sign with it but
// never read it back. crypto.subtle exists only in secure contexts (HTTPS, localhost).

export const step = (unixSeconds) => Math.floor(unixSeconds / 60);

/** The 32-byte device secret as an HMAC-SHA256 key that signs and cannot be exported. */
export const importDeviceSecret = (secretBytes) =>
  crypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);

/** Luhn's check digit for a string of digits. */
export function luhnDigit(digits) {
  if (!/^\d+$/.test(digits)) throw new TypeError('Luhn needs digits');
  let sum = 0;
  // Double every second digit from the right, the rightmost first: the check digit goes after it.
  for (let i = 0; i < digits.length; i++) {
    const d = digits[digits.length - 1 - i] * (i % 2 ? 1 : 2);
    sum += d > 9 ? d - 9 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

const pad8 = (n) => String(n).padStart(8, '0');
const int = (n, max) => Number.isInteger(n) && n >= 0 && n <= max;

/** The 20 digits: 84, device reference, slot, one-time value, Luhn digit. */
export async function paymentCode(key, deviceRef, unixSeconds, slot) {
  if (!int(deviceRef, 99999999) || !int(slot, 9) || !(unixSeconds >= 0)) throw new RangeError('bad code input');
  const message = new DataView(new ArrayBuffer(9)); // step, 8 bytes big-endian; then the slot
  message.setBigUint64(0, BigInt(step(unixSeconds)));
  message.setUint8(8, slot);
  const mac = new DataView(await crypto.subtle.sign('HMAC', key, message));
  // RFC 4226 dynamic truncation: 31 bits at the offset the last nibble names.
  const value = (mac.getUint32(mac.getUint8(31) & 15) & 0x7fffffff) % 1e8;
  const body = '84' + pad8(deviceRef) + slot + pad8(value);
  return body + luhnDigit(body);
}

// The enrolled device, {key, deviceRef, deviceId, userId}, in IndexedDB: userId is the person who
// enrolled it, whose wallet its codes pay from; the pay screen uses it for nobody else. A CryptoKey is
// structured-cloneable, so the key object itself is stored (still non-extractable), never its bytes.
export function openKeyStore() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('quipu-wallet', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('device');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

// One request in its own transaction; settles once the transaction has committed.
async function withStore(mode, request) {
  const db = await openKeyStore();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('device', mode);
    const req = request(tx.objectStore('device'));
    tx.oncomplete = () => (db.close(), resolve(req.result));
    tx.onerror = tx.onabort = () => (db.close(), reject(tx.error));
  });
}

export const saveDevice = ({ key, deviceRef, deviceId, userId }) =>
  withStore('readwrite', (s) => s.put({ key, deviceRef, deviceId, userId }, 'current'));
/** The saved device, or undefined before enrolment. */
export const loadDevice = () => withStore('readonly', (s) => s.get('current'));
export const clearDevice = () => withStore('readwrite', (s) => s.delete('current'));
