//! Rendered images read back: QR PNGs through an independent decoder (rqrr),
//! module by module against a reference encoding, and Code 128 against the
//! symbol table and hand-computed checksums.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Cursor;
use std::num::NonZeroU32;

use qrcode::bits::Bits;
use qrcode::types::{Color, QrError};
use qrcode::{EcLevel, QrCode, Version};
use quipu_codes::render::{self, ImageFormat, RenderError};

const PIX: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
const EMV_EXAMPLE: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";
const QR_MODULE_PX: usize = 8;
const QR_QUIET_ZONE: usize = 4;

struct GreyImage {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl GreyImage {
    fn pixel(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }
}

/// Decodes a PNG to 8-bit greyscale, insisting it is plain black and white.
fn decode_png(png_bytes: &[u8]) -> GreyImage {
    let mut decoder = png::Decoder::new(Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.color_type, frame.bit_depth), (png::ColorType::Grayscale, png::BitDepth::Eight));
    pixels.truncate(frame.buffer_size());
    assert!(pixels.iter().all(|&p| p == 0 || p == 255), "only black and white pixels");
    GreyImage { width: frame.width as usize, height: frame.height as usize, pixels }
}

/// The one QR code rqrr finds in the image: its metadata and the raw bytes of its content.
fn read_qr(image: &GreyImage) -> (rqrr::MetaData, Vec<u8>) {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(image.width, image.height, |x, y| image.pixel(x, y));
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    let mut content = Vec::new();
    let meta = grids[0].decode_to(&mut content).unwrap();
    (meta, content)
}

/// The QR modules of a rendered PNG, sampled at each module's centre, quiet zone stripped.
fn sample_qr_modules(image: &GreyImage, module_px: usize) -> Vec<Vec<bool>> {
    let side = image.width / module_px - 2 * QR_QUIET_ZONE;
    (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    let centre = |m: usize| (m + QR_QUIET_ZONE) * module_px + module_px / 2;
                    image.pixel(centre(x), centre(y)) == 0
                })
                .collect()
        })
        .collect()
}

/// What qrcode itself draws for these bits: byte mode in the given version, with or without ECI 26.
fn reference_qr(payload: &str, version: i16, utf8_eci: bool) -> Result<Vec<Vec<bool>>, QrError> {
    let mut bits = Bits::new(Version::Normal(version));
    if utf8_eci {
        bits.push_eci_designator(26)?;
    }
    bits.push_byte_data(payload.as_bytes())?;
    bits.push_terminator(EcLevel::M)?;
    let code = QrCode::with_bits(bits, EcLevel::M)?;
    let width = code.width();
    Ok(code.into_colors().chunks(width).map(|row| row.iter().map(|&c| c == Color::Dark).collect()).collect())
}

/// Modules as lines of `#` and `.`, so a failed comparison shows a picture.
fn art(modules: &[Vec<bool>]) -> String {
    modules.iter().map(|row| row.iter().map(|&dark| if dark { '#' } else { '.' }).collect::<String>() + "\n").collect()
}

/// Renders, reads back with rqrr and checks module for module against the reference encoding.
fn assert_qr_round_trip(payload: &str, utf8_eci: bool) {
    let image = decode_png(&render::qr(payload, ImageFormat::Png).unwrap());
    let (meta, content) = read_qr(&image);
    assert_eq!(content, payload.as_bytes());
    assert_eq!(String::from_utf8(content).unwrap(), payload);

    let version = meta.version.0;
    let side_modules = 17 + 4 * version;
    assert_eq!(image.width, (side_modules + 2 * QR_QUIET_ZONE) * QR_MODULE_PX);
    assert_eq!(image.height, image.width);

    let version = i16::try_from(version).unwrap();
    assert_eq!(art(&sample_qr_modules(&image, QR_MODULE_PX)), art(&reference_qr(payload, version, utf8_eci).unwrap()));
    assert_eq!(reference_qr(payload, version - 1, utf8_eci), Err(QrError::DataTooLong), "the smallest version");
}

#[test]
fn ascii_payload_reads_back_in_plain_byte_mode() {
    assert_qr_round_trip(PIX, false);
}

/// rqrr parses the ECI designator and drops it, handing back the byte
/// segment as is; since ECI 26 means UTF-8 those bytes are the payload. That
/// the designator is really there shows in the modules: they match an
/// encoding with ECI 26 and not the same bytes without it.
#[test]
fn utf8_payload_reads_back_with_an_eci_26_designator() {
    assert!(!EMV_EXAMPLE.is_ascii());
    assert_qr_round_trip(EMV_EXAMPLE, true);

    let image = decode_png(&render::qr(EMV_EXAMPLE, ImageFormat::Png).unwrap());
    let version = i16::try_from(read_qr(&image).0.version.0).unwrap();
    assert_ne!(art(&sample_qr_modules(&image, QR_MODULE_PX)), art(&reference_qr(EMV_EXAMPLE, version, false).unwrap()));
}

#[test]
fn qr_png_has_a_white_quiet_zone() {
    let image = decode_png(&render::qr(PIX, ImageFormat::Png).unwrap());
    let margin = QR_QUIET_ZONE * QR_MODULE_PX;
    for y in 0..image.height {
        for x in 0..image.width {
            let in_margin = x < margin || y < margin || x >= image.width - margin || y >= image.height - margin;
            if in_margin {
                assert_eq!(image.pixel(x, y), 255, "pixel ({x}, {y}) of the quiet zone");
            }
        }
    }
}

#[test]
fn qr_scaled_sets_pixels_per_module() {
    let default = decode_png(&render::qr(PIX, ImageFormat::Png).unwrap());
    let scaled = decode_png(&render::qr_scaled(PIX, ImageFormat::Png, NonZeroU32::new(3).unwrap()).unwrap());
    assert_eq!(scaled.width * QR_MODULE_PX, default.width * 3);
    assert_eq!(art(&sample_qr_modules(&scaled, 3)), art(&sample_qr_modules(&default, QR_MODULE_PX)));
    assert_eq!(read_qr(&scaled).1, PIX.as_bytes());
}

#[test]
fn qr_scale_is_bounded() {
    let huge = NonZeroU32::new(1000).unwrap();
    assert!(matches!(
        render::qr_scaled(PIX, ImageFormat::Png, huge),
        Err(RenderError::ImageTooLarge { module_px: 1000, .. })
    ));
    assert!(matches!(render::qr_scaled(PIX, ImageFormat::Svg, huge), Err(RenderError::ImageTooLarge { .. })));
}

fn attribute<'a>(svg: &'a str, name: &str) -> &'a str {
    let start = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    let len = svg[start..].find('"').unwrap();
    &svg[start..start + len]
}

/// The dark modules an SVG path of `M x,y h len v1 h-len z` runs draws, quiet zone stripped.
fn svg_path_modules(svg: &str, side: usize) -> Vec<Vec<bool>> {
    let mut modules = vec![vec![false; side]; side];
    let path = attribute(svg, "d");
    for run in path.split('M').filter(|run| !run.is_empty()) {
        let (x, rest) = run.split_once(',').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (len, rest) = rest.split_once('v').unwrap();
        assert_eq!(rest, format!("1h-{len}z"));
        let (x, y, len): (usize, usize, usize) = (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
        for dx in 0..len {
            modules[y - QR_QUIET_ZONE][x + dx - QR_QUIET_ZONE] = true;
        }
    }
    modules
}

#[test]
fn qr_svg_draws_the_modules_of_the_png() {
    for payload in [PIX, EMV_EXAMPLE] {
        let svg = String::from_utf8(render::qr(payload, ImageFormat::Svg).unwrap()).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        assert_eq!(svg.matches("<path").count(), 1);

        let image = decode_png(&render::qr(payload, ImageFormat::Png).unwrap());
        let side_modules = image.width / QR_MODULE_PX;
        let side_px = (side_modules * QR_MODULE_PX).to_string();
        assert_eq!(attribute(&svg, "width"), side_px);
        assert_eq!(attribute(&svg, "height"), side_px);
        assert_eq!(attribute(&svg, "viewBox"), format!("0 0 {side_modules} {side_modules}"));

        let side = side_modules - 2 * QR_QUIET_ZONE;
        assert_eq!(art(&svg_path_modules(&svg, side)), art(&sample_qr_modules(&image, QR_MODULE_PX)));
    }
}

#[test]
fn qr_refuses_empty_and_oversized_payloads() {
    assert_eq!(render::qr("", ImageFormat::Png), Err(RenderError::Empty));
    let too_many_chars = "9".repeat(4097);
    assert_eq!(render::qr(&too_many_chars, ImageFormat::Svg), Err(RenderError::TooLong { chars: 4097, max: 4096 }));
    // Within the character bound but past version 40-M's 2331 bytes.
    let too_many_bytes = "é".repeat(1200);
    assert_eq!(render::qr(&too_many_bytes, ImageFormat::Png), Err(RenderError::QrCapacityExceeded { bytes: 2400 }));
    let just_fits = "A".repeat(2331);
    assert!(render::qr(&just_fits, ImageFormat::Svg).is_ok());
    assert_eq!(render::qr(&"A".repeat(2332), ImageFormat::Svg), Err(RenderError::QrCapacityExceeded { bytes: 2332 }));
}

/// Modules from a string of 1s and 0s, as the standard prints patterns.
fn modules(pattern: &str) -> Vec<bool> {
    pattern.chars().map(|c| c == '1').collect()
}

fn symbol(value: u8) -> Vec<bool> {
    let widths = render::code128_symbol_widths(value).unwrap();
    widths.iter().enumerate().flat_map(|(i, &w)| std::iter::repeat_n(i % 2 == 0, usize::from(w))).collect()
}

#[test]
fn code128_symbol_table_has_the_shape_the_standard_gives() {
    let mut patterns = Vec::new();
    for value in 0..=106u8 {
        let widths = render::code128_symbol_widths(value).unwrap();
        let bars: u8 = widths.iter().step_by(2).sum();
        let spaces: u8 = widths.iter().skip(1).step_by(2).sum();
        if value == 106 {
            assert_eq!(widths.len(), 7, "stop: 4 bars and 3 spaces");
            assert_eq!(bars + spaces, 13);
        } else {
            assert_eq!(widths.len(), 6, "value {value}: 3 bars and 3 spaces");
            assert_eq!(bars + spaces, 11, "value {value}");
            // Bars always take an even number of modules, spaces an odd one: the self-check a reader relies on.
            assert_eq!((bars % 2, spaces % 2), (0, 1), "value {value}");
        }
        assert!(widths.iter().all(|w| (1..=4).contains(w)), "value {value}");
        patterns.push(symbol(value));
    }
    patterns.sort();
    patterns.dedup();
    assert_eq!(patterns.len(), 107, "every symbol is distinct");
    assert_eq!(render::code128_symbol_widths(107), None);

    assert_eq!(symbol(0), modules("11011001100"));
    assert_eq!(symbol(105), modules("11010011100"), "start C");
    assert_eq!(symbol(104), modules("11010010000"), "start B");
    assert_eq!(symbol(103), modules("11010000100"), "start A");
    assert_eq!(symbol(106), modules("1100011101011"), "stop");
}

#[test]
fn code128_encodes_an_even_digit_run_in_code_set_c() {
    // Start C (105), 12, 34, checksum (105 + 1·12 + 2·34) % 103 = 185 % 103 = 82, stop.
    assert_eq!((105 + 12 + 2 * 34) % 103, 82);
    let expected = [
        "11010011100",   // start C
        "10110011100",   // 12
        "10001011000",   // 34
        "10010011110",   // 82, the checksum
        "1100011101011", // stop
    ]
    .concat();
    assert_eq!(render::code128_modules("1234").unwrap(), modules(&expected));
}

#[test]
fn code128_checksum_of_a_twenty_digit_payment_code() {
    let digits = "84123456789012345678";
    let pairs: Vec<u32> = digits.as_bytes().chunks(2).map(|p| u32::from((p[0] - b'0') * 10 + (p[1] - b'0'))).collect();
    let weighted: u32 = pairs.iter().zip(1..).map(|(value, weight)| value * weight).sum();
    let checksum = (105 + weighted) % 103;
    assert_eq!(checksum, 19);

    let encoded = render::code128_modules(digits).unwrap();
    // Start, ten digit pairs, checksum, stop.
    assert_eq!(encoded.len(), 12 * 11 + 13);
    assert_eq!(encoded[..11], symbol(105));
    for (i, &pair) in pairs.iter().enumerate() {
        assert_eq!(encoded[11 * (i + 1)..11 * (i + 2)], symbol(u8::try_from(pair).unwrap()), "pair {i}");
    }
    assert_eq!(encoded[11 * 11..12 * 11], modules("11001011100"), "checksum 19");
    assert_eq!(encoded[12 * 11..], symbol(106));
}

#[test]
fn code128_encodes_other_printable_ascii_in_code_set_b() {
    for text in ["12345", "INV-2024/7 <a&b>", "~ "] {
        let values: Vec<u32> = text.bytes().map(|b| u32::from(b - b' ')).collect();
        let checksum = (104 + values.iter().zip(1..).map(|(value, weight)| value * weight).sum::<u32>()) % 103;
        let expected: Vec<bool> = std::iter::once(104)
            .chain(values)
            .chain([checksum, 106])
            .flat_map(|value| symbol(u8::try_from(value).unwrap()))
            .collect();
        assert_eq!(render::code128_modules(text).unwrap(), expected, "{text}");
    }
}

#[test]
fn code128_png_is_the_bars_between_quiet_zones() {
    let bars = render::code128_modules("1234").unwrap();
    let image = decode_png(&render::code128("1234", ImageFormat::Png).unwrap());
    assert_eq!((image.width, image.height), ((bars.len() + 20) * 2, 80));
    let expected: Vec<bool> = [vec![false; 10], bars, vec![false; 10]].concat();
    for y in [0, 40, 79] {
        let row: Vec<bool> = (0..image.width).map(|x| image.pixel(x, y) == 0).collect();
        let doubled: Vec<bool> = expected.iter().flat_map(|&dark| [dark, dark]).collect();
        assert_eq!(row, doubled, "row {y}");
    }
}

#[test]
fn code128_svg_has_one_rect_per_bar_and_the_text_underneath() {
    let svg = String::from_utf8(render::code128("84123456789012345678", ImageFormat::Svg).unwrap()).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    assert_eq!(attribute(&svg, "width"), ((12 * 11 + 13 + 20) * 2).to_string());
    // A background rect, then 3 bars in each of 12 symbols and 4 in the stop.
    assert_eq!(svg.matches("<rect").count(), 1 + 12 * 3 + 4);
    assert!(svg.contains(">84123456789012345678</text>"));

    let escaped = String::from_utf8(render::code128("a<b & \"c\"", ImageFormat::Svg).unwrap()).unwrap();
    assert!(escaped.contains(">a&lt;b &amp; &quot;c&quot;</text>"));
}

#[test]
fn code128_refuses_what_it_cannot_carry() {
    assert_eq!(render::code128_modules(""), Err(RenderError::Empty));
    assert_eq!(
        render::code128("12é4", ImageFormat::Png),
        Err(RenderError::NotPrintableAscii { position: 2, character: 'é' })
    );
    assert_eq!(
        render::code128_modules("tab\there"),
        Err(RenderError::NotPrintableAscii { position: 3, character: '\t' })
    );
    assert_eq!(render::code128_modules(&"1".repeat(129)), Err(RenderError::TooLong { chars: 129, max: 128 }));
    assert!(render::code128(&"~".repeat(128), ImageFormat::Png).is_ok());
}

#[test]
fn image_format_follows_the_file_extension() {
    assert_eq!(ImageFormat::from_path_extension("qr.png"), Some(ImageFormat::Png));
    assert_eq!(ImageFormat::from_path_extension("out/Code.SVG"), Some(ImageFormat::Svg));
    assert_eq!(ImageFormat::from_path_extension("qr.jpg"), None);
    assert_eq!(ImageFormat::from_path_extension("png"), None);
    assert_eq!(ImageFormat::from_extension("PNG"), Some(ImageFormat::Png));
    assert_eq!(ImageFormat::from_extension(".svg"), Some(ImageFormat::Svg));
    assert_eq!(ImageFormat::from_extension("gif"), None);
}
