//! Images of payment codes: QR codes for payloads a phone scans, Code 128
//! barcodes for numeric codes a till scanner reads off paper.
//!
//! Output is the bytes of an SVG or PNG file; nothing is written anywhere.
//! QR payloads are always encoded in byte mode, with an ECI 26 (UTF-8)
//! designator in front when they hold any non-ASCII character, so scanners
//! that honour ECI read the merchant's name as written rather than guessing
//! a character set.

use std::iter::repeat_n;
use std::num::NonZeroU32;
use std::path::Path;

use qrcode::bits::Bits;
use qrcode::types::{Color, QrError};
use qrcode::{EcLevel, QrCode, Version};

/// Longest QR payload accepted, in characters. A QR code holds fewer bytes
/// than this anyway; the bound only keeps hostile input from costing work.
pub const MAX_QR_PAYLOAD_CHARS: usize = 4096;

/// Longest Code 128 text accepted, in characters. Longer barcodes do not fit
/// on a receipt and no scanner reads them reliably.
pub const MAX_CODE128_CHARS: usize = 128;

/// Neither side of an image may exceed this many pixels.
pub const MAX_IMAGE_SIDE_PX: u32 = 10_000;

const QR_PIXELS_PER_MODULE: u32 = 8;
/// The quiet zone ISO/IEC 18004 asks for around a QR code.
const QR_QUIET_ZONE_MODULES: usize = 4;
/// ECI assignment number of UTF-8.
const UTF8_ECI: u32 = 26;
/// Level M restores up to 15% of damaged modules: the usual choice for codes
/// shown on screens and printed on stickers.
const QR_EC_LEVEL: EcLevel = EcLevel::M;

const CODE128_MODULE_PX: u32 = 2;
const CODE128_BAR_HEIGHT_PX: u32 = 80;
/// Room under the bars for the human-readable text (SVG only).
const CODE128_TEXT_BAND_PX: u32 = 24;
const CODE128_FONT_PX: u32 = 16;
/// The minimum quiet zone ISO/IEC 15417 asks for on each side.
const CODE128_QUIET_ZONE_MODULES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    /// The format a file name asks for by its extension (`.png` or `.svg`,
    /// in any case), or `None` for anything else.
    pub fn from_path_extension(path: &str) -> Option<Self> {
        Self::from_extension(Path::new(path).extension()?.to_str()?)
    }

    /// The format an extension names (`png` or `svg`, in any case, with or
    /// without the dot), or `None` for anything else.
    pub fn from_extension(extension: &str) -> Option<Self> {
        let extension = extension.strip_prefix('.').unwrap_or(extension);
        if extension.eq_ignore_ascii_case("png") {
            Some(Self::Png)
        } else if extension.eq_ignore_ascii_case("svg") {
            Some(Self::Svg)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("nothing to render: the input is empty")]
    Empty,
    #[error("the input has {chars} characters; at most {max} are rendered")]
    TooLong { chars: usize, max: usize },
    #[error("the payload is {bytes} bytes of UTF-8, more than a QR code at error-correction level M holds")]
    QrCapacityExceeded { bytes: usize },
    #[error("the QR encoder refused the payload: {reason}")]
    QrEncoding { reason: String },
    #[error("Code 128 carries printable ASCII only; character {position} is {character:?}")]
    NotPrintableAscii { position: usize, character: char },
    #[error("{modules} modules of {module_px} px exceed the {max} px limit on an image side", max = MAX_IMAGE_SIDE_PX)]
    ImageTooLarge { modules: usize, module_px: u32 },
    #[error("could not encode the PNG: {reason}")]
    Png { reason: String },
}

/// A QR code of `payload` at 8 pixels per module.
pub fn qr(payload: &str, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    render_qr(payload, format, QR_PIXELS_PER_MODULE)
}

/// A QR code of `payload` at `pixels_per_module` pixels per module (in SVG,
/// this sets the nominal width and height; the drawing itself scales).
pub fn qr_scaled(payload: &str, format: ImageFormat, pixels_per_module: NonZeroU32) -> Result<Vec<u8>, RenderError> {
    render_qr(payload, format, pixels_per_module.get())
}

/// A Code 128 barcode of `text`: 2 px per module, bars 80 px high, the text
/// itself under the bars in SVG.
pub fn code128(text: &str, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    let grid = ModuleGrid::with_quiet_zone(vec![code128_modules(text)?], CODE128_QUIET_ZONE_MODULES, 0);
    match format {
        ImageFormat::Png => encode_png(&grid, CODE128_MODULE_PX, CODE128_BAR_HEIGHT_PX),
        ImageFormat::Svg => code128_svg(&grid, text),
    }
}

/// The modules of a Code 128 barcode of `text`, quiet zones excluded, `true`
/// for a bar. An even number of digits (numeric payment codes are 20) is
/// encoded in code set C, two digits a symbol; anything else in code set B.
pub fn code128_modules(text: &str) -> Result<Vec<bool>, RenderError> {
    check_length(text, MAX_CODE128_CHARS)?;
    let (start, data) = if is_even_digit_run(text) {
        (CODE128_START_C, code_set_c_values(text))
    } else {
        (CODE128_START_B, code_set_b_values(text)?)
    };
    let checksum = code128_checksum(start, &data);
    let symbols = std::iter::once(start).chain(data).chain([checksum, CODE128_STOP]);
    // Every value here is below 107, so the lookup never comes back empty.
    Ok(symbols.flat_map(|value| symbol_modules(code128_symbol_widths(value).unwrap_or_default())).collect())
}

/// The widths, in modules, of the alternating bars and spaces (bar first) of
/// the Code 128 symbol with this value: six elements for values 0 to 105,
/// seven for the stop symbol 106 (its final bar included), `None` beyond.
pub fn code128_symbol_widths(value: u8) -> Option<&'static [u8]> {
    CODE128_SYMBOL_WIDTHS.get(usize::from(value)).copied()
}

fn render_qr(payload: &str, format: ImageFormat, module_px: u32) -> Result<Vec<u8>, RenderError> {
    let code = encode_qr(payload)?;
    let width = code.width();
    let colors = code.into_colors();
    // chunks(0) would panic; a QR code is never narrower than 21 modules.
    let rows = colors.chunks(width.max(1)).map(|row| row.iter().map(|&color| color == Color::Dark).collect());
    let grid = ModuleGrid::with_quiet_zone(rows, QR_QUIET_ZONE_MODULES, QR_QUIET_ZONE_MODULES);
    match format {
        ImageFormat::Png => encode_png(&grid, module_px, module_px),
        ImageFormat::Svg => qr_svg(&grid, module_px),
    }
}

/// Byte mode in the smallest version that holds the payload. qrcode's own
/// encoder would mix modes and never write an ECI designator.
fn encode_qr(payload: &str) -> Result<QrCode, RenderError> {
    check_length(payload, MAX_QR_PAYLOAD_CHARS)?;
    let needs_utf8_eci = !payload.is_ascii();
    for version in 1..=40 {
        match qr_bits(payload.as_bytes(), needs_utf8_eci, Version::Normal(version)) {
            Ok(bits) => return QrCode::with_bits(bits, QR_EC_LEVEL).map_err(qr_encoding_error),
            Err(QrError::DataTooLong) => continue,
            Err(other) => return Err(qr_encoding_error(other)),
        }
    }
    Err(RenderError::QrCapacityExceeded { bytes: payload.len() })
}

fn qr_bits(data: &[u8], utf8_eci: bool, version: Version) -> Result<Bits, QrError> {
    let mut bits = Bits::new(version);
    if utf8_eci {
        bits.push_eci_designator(UTF8_ECI)?;
    }
    bits.push_byte_data(data)?;
    bits.push_terminator(QR_EC_LEVEL)?;
    Ok(bits)
}

fn qr_encoding_error(error: QrError) -> RenderError {
    RenderError::QrEncoding { reason: error.to_string() }
}

fn check_length(text: &str, max: usize) -> Result<(), RenderError> {
    match text.chars().count() {
        0 => Err(RenderError::Empty),
        chars if chars > max => Err(RenderError::TooLong { chars, max }),
        _ => Ok(()),
    }
}

/// Modules in rows, quiet zone included; `true` is dark.
struct ModuleGrid {
    rows: Vec<Vec<bool>>,
}

impl ModuleGrid {
    fn with_quiet_zone(rows: impl IntoIterator<Item = Vec<bool>>, horizontal: usize, vertical: usize) -> Self {
        let padded: Vec<Vec<bool>> = rows
            .into_iter()
            .map(|row| repeat_n(false, horizontal).chain(row).chain(repeat_n(false, horizontal)).collect())
            .collect();
        let blank = vec![false; padded.first().map_or(2 * horizontal, Vec::len)];
        let rows = repeat_n(blank.clone(), vertical).chain(padded).chain(repeat_n(blank, vertical)).collect();
        Self { rows }
    }

    fn width(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }

    fn height(&self) -> usize {
        self.rows.len()
    }
}

/// A horizontal run of dark modules.
struct DarkRun {
    start: usize,
    len: usize,
}

fn dark_runs(row: &[bool]) -> Vec<DarkRun> {
    let mut runs = Vec::new();
    let mut run_start = None;
    // A light sentinel at the end closes a run that reaches the edge.
    for (x, &dark) in row.iter().chain([&false]).enumerate() {
        match (dark, run_start) {
            (true, None) => run_start = Some(x),
            (false, Some(start)) => {
                runs.push(DarkRun { start, len: x - start });
                run_start = None;
            }
            _ => {}
        }
    }
    runs
}

fn side_px(modules: usize, module_px: u32) -> Result<u32, RenderError> {
    match u32::try_from(modules).ok().and_then(|m| m.checked_mul(module_px)) {
        Some(px) if px <= MAX_IMAGE_SIDE_PX => Ok(px),
        _ => Err(RenderError::ImageTooLarge { modules, module_px }),
    }
}

/// A 1-bit greyscale PNG: the smallest faithful encoding of black and white.
fn encode_png(grid: &ModuleGrid, module_width_px: u32, module_height_px: u32) -> Result<Vec<u8>, RenderError> {
    let width_px = side_px(grid.width(), module_width_px)?;
    let height_px = side_px(grid.height(), module_height_px)?;
    let mut image_data = Vec::new();
    for row in &grid.rows {
        let packed = pack_pixel_row(row, module_width_px);
        for _ in 0..module_height_px {
            image_data.extend_from_slice(&packed);
        }
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width_px, height_px);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let png_error = |error: png::EncodingError| RenderError::Png { reason: error.to_string() };
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&image_data).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(png_bytes)
}

/// One row of pixels, eight to a byte, most significant bit first; in 1-bit
/// greyscale a set bit is white.
fn pack_pixel_row(modules: &[bool], module_px: u32) -> Vec<u8> {
    let pixels: Vec<bool> = modules.iter().flat_map(|&dark| repeat_n(dark, module_px as usize)).collect();
    pixels
        .chunks(8)
        .map(|eight| eight.iter().enumerate().fold(0u8, |byte, (i, &dark)| if dark { byte } else { byte | 0x80 >> i }))
        .collect()
}

/// One path of dark modules over a white square, drawn in module units so
/// viewers scale it without blurring.
fn qr_svg(grid: &ModuleGrid, module_px: u32) -> Result<Vec<u8>, RenderError> {
    let modules = grid.width();
    let side = side_px(modules, module_px)?;
    let mut path = String::new();
    for (y, row) in grid.rows.iter().enumerate() {
        for DarkRun { start, len } in dark_runs(row) {
            path.push_str(&format!("M{start},{y}h{len}v1h-{len}z"));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{side}\" height=\"{side}\" \
         viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{modules}\" height=\"{modules}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>\n"
    )
    .into_bytes())
}

/// One rect per bar over a white background, the text centred underneath.
fn code128_svg(grid: &ModuleGrid, text: &str) -> Result<Vec<u8>, RenderError> {
    let width = side_px(grid.width(), CODE128_MODULE_PX)?;
    let height = CODE128_BAR_HEIGHT_PX + CODE128_TEXT_BAND_PX;
    let module_px = CODE128_MODULE_PX as usize;
    let mut bars = String::new();
    for row in &grid.rows {
        for DarkRun { start, len } in dark_runs(row) {
            let (x, bar_width) = (start * module_px, len * module_px);
            bars.push_str(&format!("<rect x=\"{x}\" width=\"{bar_width}\" height=\"{CODE128_BAR_HEIGHT_PX}\"/>"));
        }
    }
    let (text_x, text_y) = (width / 2, CODE128_BAR_HEIGHT_PX + CODE128_FONT_PX + 2);
    let text = xml_escape(text);
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>\
         <g fill=\"#000\">{bars}</g>\
         <text x=\"{text_x}\" y=\"{text_y}\" text-anchor=\"middle\" font-family=\"monospace\" \
         font-size=\"{CODE128_FONT_PX}\">{text}</text></svg>\n"
    )
    .into_bytes())
}

/// Code set B text may hold `<`, `&` and quotes.
fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

const CODE128_START_B: u8 = 104;
const CODE128_START_C: u8 = 105;
const CODE128_STOP: u8 = 106;

fn is_even_digit_run(text: &str) -> bool {
    text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Code set C: each pair of digits is one symbol of value 00 to 99.
fn code_set_c_values(digits: &str) -> Vec<u8> {
    digits.as_bytes().chunks(2).map(|pair| pair.iter().fold(0, |value, digit| value * 10 + (digit - b'0'))).collect()
}

/// Code set B: printable ASCII, space (value 0) to tilde (value 94).
fn code_set_b_values(text: &str) -> Result<Vec<u8>, RenderError> {
    text.chars()
        .enumerate()
        .map(|(position, character)| match u8::try_from(character) {
            Ok(byte @ b' '..=b'~') => Ok(byte - b' '),
            _ => Err(RenderError::NotPrintableAscii { position, character }),
        })
        .collect()
}

/// The start value plus each data value weighted by its position (from 1),
/// modulo 103.
fn code128_checksum(start: u8, data: &[u8]) -> u8 {
    let weighted_sum =
        data.iter().zip(1u32..).fold(u32::from(start), |sum, (&value, weight)| (sum + weight * u32::from(value)) % 103);
    // Below 103, so it always fits.
    u8::try_from(weighted_sum).unwrap_or(u8::MAX)
}

fn symbol_modules(widths: &[u8]) -> impl Iterator<Item = bool> + '_ {
    widths.iter().enumerate().flat_map(|(i, &width)| repeat_n(i % 2 == 0, usize::from(width)))
}

/// Bar and space widths of every Code 128 symbol, by value (ISO/IEC 15417,
/// table 1). 103–105 are start A, B and C; 106 is stop with its final bar.
const CODE128_SYMBOL_WIDTHS: [&[u8]; 107] = [
    &[2, 1, 2, 2, 2, 2], // 0
    &[2, 2, 2, 1, 2, 2],
    &[2, 2, 2, 2, 2, 1],
    &[1, 2, 1, 2, 2, 3],
    &[1, 2, 1, 3, 2, 2],
    &[1, 3, 1, 2, 2, 2], // 5
    &[1, 2, 2, 2, 1, 3],
    &[1, 2, 2, 3, 1, 2],
    &[1, 3, 2, 2, 1, 2],
    &[2, 2, 1, 2, 1, 3],
    &[2, 2, 1, 3, 1, 2], // 10
    &[2, 3, 1, 2, 1, 2],
    &[1, 1, 2, 2, 3, 2],
    &[1, 2, 2, 1, 3, 2],
    &[1, 2, 2, 2, 3, 1],
    &[1, 1, 3, 2, 2, 2], // 15
    &[1, 2, 3, 1, 2, 2],
    &[1, 2, 3, 2, 2, 1],
    &[2, 2, 3, 2, 1, 1],
    &[2, 2, 1, 1, 3, 2],
    &[2, 2, 1, 2, 3, 1], // 20
    &[2, 1, 3, 2, 1, 2],
    &[2, 2, 3, 1, 1, 2],
    &[3, 1, 2, 1, 3, 1],
    &[3, 1, 1, 2, 2, 2],
    &[3, 2, 1, 1, 2, 2], // 25
    &[3, 2, 1, 2, 2, 1],
    &[3, 1, 2, 2, 1, 2],
    &[3, 2, 2, 1, 1, 2],
    &[3, 2, 2, 2, 1, 1],
    &[2, 1, 2, 1, 2, 3], // 30
    &[2, 1, 2, 3, 2, 1],
    &[2, 3, 2, 1, 2, 1],
    &[1, 1, 1, 3, 2, 3],
    &[1, 3, 1, 1, 2, 3],
    &[1, 3, 1, 3, 2, 1], // 35
    &[1, 1, 2, 3, 1, 3],
    &[1, 3, 2, 1, 1, 3],
    &[1, 3, 2, 3, 1, 1],
    &[2, 1, 1, 3, 1, 3],
    &[2, 3, 1, 1, 1, 3], // 40
    &[2, 3, 1, 3, 1, 1],
    &[1, 1, 2, 1, 3, 3],
    &[1, 1, 2, 3, 3, 1],
    &[1, 3, 2, 1, 3, 1],
    &[1, 1, 3, 1, 2, 3], // 45
    &[1, 1, 3, 3, 2, 1],
    &[1, 3, 3, 1, 2, 1],
    &[3, 1, 3, 1, 2, 1],
    &[2, 1, 1, 3, 3, 1],
    &[2, 3, 1, 1, 3, 1], // 50
    &[2, 1, 3, 1, 1, 3],
    &[2, 1, 3, 3, 1, 1],
    &[2, 1, 3, 1, 3, 1],
    &[3, 1, 1, 1, 2, 3],
    &[3, 1, 1, 3, 2, 1], // 55
    &[3, 3, 1, 1, 2, 1],
    &[3, 1, 2, 1, 1, 3],
    &[3, 1, 2, 3, 1, 1],
    &[3, 3, 2, 1, 1, 1],
    &[3, 1, 4, 1, 1, 1], // 60
    &[2, 2, 1, 4, 1, 1],
    &[4, 3, 1, 1, 1, 1],
    &[1, 1, 1, 2, 2, 4],
    &[1, 1, 1, 4, 2, 2],
    &[1, 2, 1, 1, 2, 4], // 65
    &[1, 2, 1, 4, 2, 1],
    &[1, 4, 1, 1, 2, 2],
    &[1, 4, 1, 2, 2, 1],
    &[1, 1, 2, 2, 1, 4],
    &[1, 1, 2, 4, 1, 2], // 70
    &[1, 2, 2, 1, 1, 4],
    &[1, 2, 2, 4, 1, 1],
    &[1, 4, 2, 1, 1, 2],
    &[1, 4, 2, 2, 1, 1],
    &[2, 4, 1, 2, 1, 1], // 75
    &[2, 2, 1, 1, 1, 4],
    &[4, 1, 3, 1, 1, 1],
    &[2, 4, 1, 1, 1, 2],
    &[1, 3, 4, 1, 1, 1],
    &[1, 1, 1, 2, 4, 2], // 80
    &[1, 2, 1, 1, 4, 2],
    &[1, 2, 1, 2, 4, 1],
    &[1, 1, 4, 2, 1, 2],
    &[1, 2, 4, 1, 1, 2],
    &[1, 2, 4, 2, 1, 1], // 85
    &[4, 1, 1, 2, 1, 2],
    &[4, 2, 1, 1, 1, 2],
    &[4, 2, 1, 2, 1, 1],
    &[2, 1, 2, 1, 4, 1],
    &[2, 1, 4, 1, 2, 1], // 90
    &[4, 1, 2, 1, 2, 1],
    &[1, 1, 1, 1, 4, 3],
    &[1, 1, 1, 3, 4, 1],
    &[1, 3, 1, 1, 4, 1],
    &[1, 1, 4, 1, 1, 3], // 95
    &[1, 1, 4, 3, 1, 1],
    &[4, 1, 1, 1, 1, 3],
    &[4, 1, 1, 3, 1, 1],
    &[1, 1, 3, 1, 4, 1],
    &[1, 1, 4, 1, 3, 1], // 100
    &[3, 1, 1, 1, 4, 1],
    &[4, 1, 1, 1, 3, 1],
    &[2, 1, 1, 4, 1, 2],    // 103: start A
    &[2, 1, 1, 2, 1, 4],    // 104: start B
    &[2, 1, 1, 2, 3, 2],    // 105: start C
    &[2, 3, 3, 1, 1, 1, 2], // 106: stop
];
