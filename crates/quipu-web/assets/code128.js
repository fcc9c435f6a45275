// Code 128 set C: a payment code's digits in pairs, for till laser scanners (docs/payment-codes.md).
// Bar, space, bar... widths in modules of values 0–106 (ISO/IEC 15417 table 1, as in quipu-codes);
// 105 is Start C, 106 Stop with its final 2-module bar.
const WIDTHS = (
  '212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 ' +
  '122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 ' +
  '321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 ' +
  '211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 ' +
  '213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 ' +
  '121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 ' +
  '241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 ' +
  '412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 ' +
  '211214 211232 2331112'
).split(' ');

/** Module widths, bar first, of Start C, the pairs, the checksum and Stop. */
export function code128C(digits) {
  if (!/^(\d\d)+$/.test(digits)) throw new TypeError('code set C takes an even number of digits');
  const values = [105];
  for (let i = 0; i < digits.length; i += 2) values.push(Number(digits.slice(i, i + 2)));
  // Checksum: Start plus each value times its position, modulo 103.
  values.push(values.reduce((sum, v, i) => sum + v * (i || 1), 0) % 103, 106);
  return values.flatMap((v) => [...WIDTHS[v]].map(Number));
}

/** An SVG barcode: bars as one path, 10-module quiet zones on a white ground. Sizes in pixels. */
export function code128Svg(digits, moduleWidth = 2, height = 80) {
  let x = 10;
  let d = '';
  code128C(digits).forEach((w, i) => {
    if (i % 2 === 0) d += `M${x} 0h${w}v1h-${w}z`;
    x += w;
  });
  const modules = x + 10;
  // In module units, stretched to the height.
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${modules} 1" width="${modules * moduleWidth}" ` +
    `height="${height}" preserveAspectRatio="none" shape-rendering="crispEdges">` +
    `<rect width="${modules}" height="1" fill="#fff"/><path d="${d}"/></svg>`;
}
