// A string as an SVG QR symbol at level Q (a quarter may be lost to glare or a cracked screen) with
// a 4-module quiet zone; 20 digits fit version 1. `qrcodegen` is the default export of the vendored
// nayuki module, passed in because a relative import cannot name a content-hashed URL.

/** One <path> of dark modules on a white ground; pixelsPerModule sizes it. */
export function qrSvg(text, qrcodegen, pixelsPerModule = 8) {
  const qr = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.QUARTILE);
  const side = qr.size + 8;
  let d = '';
  for (let y = 0; y < qr.size; y++) {
    // One rectangle per run of dark modules.
    for (let x = 0; x < qr.size; x++) {
      if (!qr.getModule(x, y)) continue;
      let run = 1;
      while (x + run < qr.size && qr.getModule(x + run, y)) run++;
      d += `M${x + 4} ${y + 4}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" width="${side * pixelsPerModule}" ` +
    `height="${side * pixelsPerModule}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/><path d="${d}"/></svg>`;
}
