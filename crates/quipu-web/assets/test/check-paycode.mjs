// Checks the wallet's browser modules under Node (which has WebCrypto but no IndexedDB):
//   node crates/quipu-web/assets/test/check-paycode.mjs
// The payment-code vectors are the ones the Rust tests read (docs/payment-code-vectors.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importDeviceSecret, luhnDigit, paymentCode, step } from '../paycode.js';
import { code128C, code128Svg } from '../code128.js';
import { qrSvg } from '../qr.js';
import qrcodegen from '../vendor/nayuki-qr-code-generator-1.8.0.min.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../docs/payment-code-vectors.json', import.meta.url)));
assert.equal(vectors.length, 6);
for (const v of vectors) {
  const key = await importDeviceSecret(new TextEncoder().encode(v.secret_ascii));
  assert.equal(await paymentCode(key, v.device_ref, v.unix_time, v.slot), v.code, `at ${v.unix_time}s slot ${v.slot}`);
  assert.equal(luhnDigit(v.code.slice(0, 19)), v.code[19]);
}
assert.equal(step(59), 0);
assert.equal(step(1234567890), 20576131);
assert.equal(luhnDigit('7992739871'), '3');

// The key signs but cannot be read back, not even by the page that imported it.
const key = await importDeviceSecret(new TextEncoder().encode(vectors[0].secret_ascii));
assert.equal(key.extractable, false);
assert.deepEqual(key.usages, ['sign']);
await assert.rejects(crypto.subtle.exportKey('raw', key));
await assert.rejects(paymentCode(key, 100000000, 59, 0), RangeError);
await assert.rejects(paymentCode(key, 1, 59, 10), RangeError);

// Code 128 set C of the first vector, as python-barcode 0.16.1 encodes it (1 = bar module): Start C,
// 84 12 34 56 78 04 32 61 39 53, checksum, Stop with its final bar. crates/quipu-codes has the same table.
const reference =
  '1101001110010011110100101100111001000101100011100010110110000101001001000110011000110110110010000' +
  '101101000100011011101110100001100101100011101011';
const modules = code128C('84123456780432613953').map((w, i) => (i % 2 ? '0' : '1').repeat(w)).join('');
assert.equal(modules, reference);
assert.equal(modules.length, 11 * 12 + 13);
for (const bad of ['123', '12a4', '', ' 12', '１２']) assert.throws(() => code128C(bad), TypeError);
const barcode = code128Svg('84123456780432613953');
assert.match(barcode, /^<svg [^>]*viewBox="0 0 165 1"[^>]*shape-rendering="crispEdges"/);
assert.equal(barcode.match(/<path /g).length, 1);

// QR: level Q, version 1 (21 modules) plus 4 quiet modules a side, the dark modules in one path.
const svg = qrSvg('84123456780432613953', qrcodegen);
assert.match(svg, /^<svg [^>]*viewBox="0 0 29 29"/);
assert.equal(svg.match(/<path /g).length, 1);
const qr = qrcodegen.QrCode.encodeText('84123456780432613953', qrcodegen.QrCode.Ecc.QUARTILE);
assert.equal(qr.errorCorrectionLevel, qrcodegen.QrCode.Ecc.QUARTILE);
// Every dark module is drawn once, nothing else: redraw the path's rectangles onto a grid.
const drawn = new Set();
for (const [, x, y, run] of svg.matchAll(/M(\d+) (\d+)h(\d+)/g)) {
  for (let i = 0; i < run; i++) drawn.add(`${+x + i - 4},${y - 4}`);
}
let dark = 0;
for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) if (qr.getModule(x, y)) dark++, assert.ok(drawn.has(`${x},${y}`));
assert.equal(drawn.size, dark);

console.log('paycode.js, code128.js and qr.js: all checks passed');
