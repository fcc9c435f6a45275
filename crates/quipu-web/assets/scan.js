// Reads a QR with the camera into a form's field and sends the form: the till reads a customer's
// payment code or a card's printed code, the wallet a shop's QR. The native BarcodeDetector where
// the phone has one; otherwise nimiq's qr-scanner (vendored), whose worker is loaded only then.
// A USB scanner needs none of this: it types the digits and Enter.
// Each form that reads a QR says into which field (data-scan-field), what a good read looks like
// (data-scan-pattern) and what to say otherwise; its button.scan starts the camera into its video.
const scannerUrl = document.querySelector('link[rel=modulepreload][data-name=qrscanner]')?.href;

async function nativeDetector() {
  if (!('BarcodeDetector' in window)) return null;
  const formats = await BarcodeDetector.getSupportedFormats();
  return formats.includes('qr_code') ? new BarcodeDetector({ formats: ['qr_code'] }) : null;
}

function reader(form) {
  const button = form.querySelector('button.scan');
  const video = form.querySelector('video');
  const field = document.getElementById(form.dataset.scanField);
  const pattern = new RegExp(form.dataset.scanPattern || '^[\\s\\S]+$');

  function complain(text) {
    field.setCustomValidity(text);
    field.reportValidity();
  }

  function found(text) {
    const value = String(text).trim();
    if (!pattern.test(value)) {
      complain(form.dataset.msgForeign);
      return false;
    }
    field.setCustomValidity('');
    field.value = value;
    // What is still to type (a card's PIN) comes next; a complete form is sent.
    const missing = [...form.querySelectorAll('[required]')].find((input) => !input.value);
    if (missing) missing.focus();
    else form.requestSubmit();
    return true;
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

  button.hidden = false;
  button.addEventListener('click', () => scan().catch((error) => complain(String(error))));
}

if (navigator.mediaDevices?.getUserMedia) document.querySelectorAll('form[data-scan-field]').forEach(reader);
