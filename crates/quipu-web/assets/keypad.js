// A large keypad under each amount field marked `data-keypad`, as on a shop's card terminal: big
// keys for a thumb, on the phone or tablet a till runs on. The field stays a plain input, so a
// keyboard or a USB scanner still types into it, and without scripts the form works as it is.
for (const field of document.querySelectorAll('input[data-keypad]')) {
  const pad = document.createElement('div');
  pad.className = 'keypad';
  pad.setAttribute('role', 'group');
  pad.setAttribute('aria-label', field.dataset.msgKeypad || '');
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '.', '0', '⌫']) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'key secondary';
    button.textContent = key;
    if (key === '⌫') button.setAttribute('aria-label', field.dataset.msgDelete || key);
    button.addEventListener('click', () => press(field, key));
    pad.append(button);
  }
  field.after(pad);
  // On a touch screen the keypad is the keyboard: the phone's own would cover half the form.
  if (matchMedia('(pointer: coarse)').matches) field.inputMode = 'none';
}

function press(field, key) {
  const text = field.value;
  if (key === '⌫') field.value = text.slice(0, -1);
  else if (key === '.' && text.includes('.')) return;
  else if (/\.\d{2}$/.test(text)) return; // two decimals at most: minor units
  else field.value = text + key;
  field.dispatchEvent(new Event('input', { bubbles: true }));
}
