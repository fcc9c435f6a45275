// The till's camera scanner: it reads a customer's payment code (a QR of 20 digits) and charges it.
// The native BarcodeDetector where the phone has one; otherwise nimiq's qr-scanner (vendored), whose
// worker is loaded only then. A USB scanner needs none of this: it types the digits and Enter.
const form = document.getElementById('charge');
const button = document.getElementById('scan');
const video = document.getElementById('camera');
const code = document.getElementById('code');
const scannerUrl = document.querySelector('link[rel=modulepreload][data-name=qrscanner]')?.href;

function found(text) {
  const digits = String(text).trim();
  if (!/^84\d{18}$/.test(digits)) {
    code.setCustomValidity(form.dataset.msgForeign);
    code.reportValidity();
    return false;
  }
  code.setCustomValidity('');
  code.value = digits;
  form.requestSubmit();
  return true;
}

async function nativeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  const formats = await BarcodeDetector.getSupportedFormats();
  return formats.includes('qr_code') ? new BarcodeDetector({ formats: ['qr_code'] }) : null;
}

async function scan() {
  video.hidden = false;
  const detector = await nativeDetector();
  if (detector) {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    await video.play();
    const look = async () => {
      const [hit] = await detector.detect(video).catch(() => []);
      if (!(hit && found(hit.rawValue))) requestAnimationFrame(look);
    };
    look();
    return;
  }
  const { default: QrScanner } = await import(scannerUrl);
  const scanner = new QrScanner(video, (result) => { if (found(result.data)) scanner.stop(); },
    { returnDetailedScanResult: true, preferredCamera: 'environment' });
  await scanner.start();
}

if (navigator.mediaDevices?.getUserMedia) {
  button.hidden = false;
  button.addEventListener('click', () => scan().catch((error) => { code.setCustomValidity(String(error)); code.reportValidity(); }));
}
