//! Product images, made from a seller's upload: hostile bytes until proven otherwise.
//!
//! An upload is recognised by its first bytes (JPEG, PNG or WebP; its name and declared type are
//! not believed), its header is read and its dimensions refused beyond [`MAX_SIDE`] and
//! [`MAX_PIXELS`] before a single pixel is decoded (a few kilobytes can declare gigapixels), and
//! only then is it decoded, with the decoder's own limits set as well. What is kept is two new
//! JPEG files made from the pixels alone: a thumbnail ([`THUMBNAIL_SIDE`]) and a detail size
//! ([`DETAIL_SIDE`]), each within a byte budget. Nothing of the upload survives but its pixels:
//! no EXIF (its orientation is applied first, so a phone's portrait photo stands up), no GPS
//! position, no colour profile, no comment. The original is never stored.
//!
//! Everything here is pure and synchronous; the service runs it on the blocking pool, a bounded
//! number at a time (see `Market::add_product_image`).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Longest side an upload may declare, in pixels.
pub const MAX_SIDE: u32 = 8000;
/// Most pixels an upload may declare: 25 megapixels holds a 24-megapixel phone photo
/// (5712 × 4284).
pub const MAX_PIXELS: u64 = 25_000_000;
/// Most bytes one decoded image may take in memory (a 25-megapixel RGBA image is 100 MB).
pub const MAX_DECODED_BYTES: u64 = 128 * 1024 * 1024;
/// Longest side of the two sizes made, in pixels. A smaller upload is not enlarged.
pub const THUMBNAIL_SIDE: u32 = 200;
pub const DETAIL_SIDE: u32 = 800;
/// The byte budget of each size: its quality is lowered step by step until it fits.
pub const THUMBNAIL_BUDGET: usize = 15 * 1024;
pub const DETAIL_BUDGET: usize = 80 * 1024;
/// The JPEG qualities tried, best first. Only noise fills 800 × 800 pixels with more than 80 KB at
/// the last one; it is then made smaller.
const QUALITIES: [u8; 5] = [82, 74, 66, 56, LOWEST_QUALITY];
const LOWEST_QUALITY: u8 = 40;
/// Below this side a size is kept whatever its bytes (a 64-pixel JPEG is a few KB at any quality).
const MIN_SIDE: u32 = 64;

/// The type every size is served as.
pub const JPEG: &str = "image/jpeg";

/// The formats an upload may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    WebP,
}

impl SourceFormat {
    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::WebP => ImageFormat::WebP,
        }
    }
}

/// Why an upload makes no image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JPEG, PNG or WebP by its first bytes (a GIF, an SVG, a text file named `.jpg`).
    Unsupported,
    /// Its header declares more than is decoded (a decompression bomb, or simply too big).
    TooLarge { width: u32, height: u32 },
    /// It is empty, truncated or malformed.
    Invalid(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unsupported => write!(f, "an image is a JPEG, PNG or WebP file"),
            Refusal::TooLarge { width, height } => {
                if *width > 0 && *height > 0 {
                    write!(f, "the image is {width} × {height} pixels; ")?;
                }
                write!(f, "at most {MAX_SIDE} pixels a side and {} megapixels are taken", MAX_PIXELS / 1_000_000)
            }
            Refusal::Invalid(why) => write!(f, "the image cannot be read: {why}"),
        }
    }
}

/// The format an upload's first bytes say it is in; only JPEG, PNG and WebP are taken.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, Refusal> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.is_empty() {
        return Err(Refusal::Invalid("the file is empty".to_owned()));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(SourceFormat::Jpeg)
    } else if bytes.starts_with(PNG) {
        Ok(SourceFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Ok(SourceFormat::WebP)
    } else {
        Err(Refusal::Unsupported)
    }
}

/// Refuses dimensions beyond the limits; the header's word, before anything is decoded.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), Refusal> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(Refusal::TooLarge { width, height });
    }
    if pixels == 0 {
        return Err(Refusal::Invalid("it has no pixels".to_owned()));
    }
    Ok(())
}

/// The limits the decoder itself holds to, besides the check on the header.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn refusal(error: ImageError) -> Refusal {
    match error {
        ImageError::Limits(_) => Refusal::TooLarge { width: 0, height: 0 },
        ImageError::Unsupported(error) => Refusal::Invalid(format!("a kind of image not supported ({error})")),
        other => Refusal::Invalid(other.to_string()),
    }
}

/// One size made: its JPEG bytes, dimensions and content hash (lowercase hex SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// The JPEG quality it was encoded at.
    pub quality: u8,
}

/// The two sizes an upload is made into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub source: SourceFormat,
    /// The upload's dimensions, upright.
    pub source_width: u32,
    pub source_height: u32,
    pub thumbnail: Rendition,
    pub detail: Rendition,
}

/// An upload decoded under the limits: its format, its pixels (opaque, not yet turned upright), and
/// the orientation its EXIF asks for.
struct Decoded {
    source: SourceFormat,
    image: DynamicImage,
    orientation: Orientation,
}

/// Decodes an upload: recognised by its first bytes, its header's dimensions refused beyond the
/// limits before any pixel is decoded, then decoded under the decoder's own limits.
fn decode(upload: &[u8]) -> Result<Decoded, Refusal> {
    let source = sniff(upload)?;
    let mut reader = ImageReader::with_format(Cursor::new(upload), source.image_format());
    reader.limits(limits());
    // Reads the header only: the dimensions are known here, and refused, before any pixel is.
    let mut decoder = reader.into_decoder().map_err(|error| match error {
        // The decoder's own limit on the sides: report the same refusal as the check below.
        ImageError::Limits(_) => header_dimensions(upload, source).map_or_else(
            |_| Refusal::TooLarge { width: 0, height: 0 },
            |(width, height)| Refusal::TooLarge { width, height },
        ),
        other => refusal(other),
    })?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(Refusal::TooLarge { width, height });
    }
    // A photo's EXIF orientation; an unreadable one is ignored (the photo is shown as stored).
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    Ok(Decoded { source, image: opaque(image), orientation })
}

/// Makes the thumbnail and the detail size of an upload, or says why not. Deterministic: the
/// same upload always makes the same bytes (so the same hashes), and the same file is stored once.
pub fn process(upload: &[u8]) -> Result<Processed, Refusal> {
    let Decoded { source, image, orientation } = decode(upload)?;
    let (width, height) = (image.width(), image.height());
    // Fitting into a square box commutes with rotating, so the (cheaper) small image is turned.
    let mut detail = fit(&image, DETAIL_SIDE);
    drop(image);
    detail.apply_orientation(orientation);
    let thumbnail = fit(&detail, THUMBNAIL_SIDE);
    let (source_width, source_height) = match orientation {
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH => {
            (height, width)
        }
        _ => (width, height),
    };
    Ok(Processed {
        source,
        source_width,
        source_height,
        thumbnail: encode(&thumbnail, THUMBNAIL_BUDGET)?,
        detail: encode(&detail, DETAIL_BUDGET)?,
    })
}

/// Longest side of a document photo kept (a prescription): enough to read small print.
pub const DOCUMENT_SIDE: u32 = 1600;
/// A document photo's byte budget.
pub const DOCUMENT_BUDGET: usize = 400 * 1024;

/// Makes one readable size of a photographed document (a prescription), upright, under the same
/// limits as a product photo and with nothing of the upload kept but its pixels.
pub fn process_document(upload: &[u8]) -> Result<Rendition, Refusal> {
    let Decoded { image, orientation, .. } = decode(upload)?;
    let mut page = fit(&image, DOCUMENT_SIDE);
    drop(image);
    page.apply_orientation(orientation);
    encode(&page, DOCUMENT_BUDGET)
}

/// The dimensions a header declares, read by the decoder with no limits (the header only; for
/// the refusal's words).
fn header_dimensions(upload: &[u8], source: SourceFormat) -> Result<(u32, u32), ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(upload), source.image_format());
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader.into_dimensions()
}

/// The image without transparency: laid on white, as a product photo on a page is. Grey stays
/// grey (a smaller JPEG); everything else becomes 8-bit RGB.
fn opaque(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.into_luma8()),
        other if other.color().has_alpha() => {
            let mut pixels = other.into_rgba8();
            for pixel in pixels.pixels_mut() {
                let [red, green, blue, alpha] = pixel.0;
                let over_white = |channel: u8| {
                    let (channel, alpha) = (u16::from(channel), u16::from(alpha));
                    // channel·alpha + 255·(255 − alpha) ≤ 255·255: the sum fits a u16, the quotient a byte.
                    let blended = (channel * alpha + 255 * (255 - alpha) + 127) / 255;
                    u8::try_from(blended).unwrap_or(u8::MAX)
                };
                pixel.0 = [over_white(red), over_white(green), over_white(blue), u8::MAX];
            }
            DynamicImage::ImageRgba8(pixels)
        }
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

/// The image fitted into a `side` × `side` square, never enlarged.
fn fit(image: &DynamicImage, side: u32) -> DynamicImage {
    if image.width() <= side && image.height() <= side {
        return image.clone();
    }
    // A triangle filter widened to the scale averages every source pixel: no aliasing, and
    // several times faster than Lanczos on a 12-megapixel photo.
    image.resize(side, side, FilterType::Triangle)
}

/// The image as a baseline JPEG (no metadata of any kind) within `budget`: at the best quality
/// that fits; when even the lowest does not (noise, not a photo), made smaller until it does.
fn encode(image: &DynamicImage, budget: usize) -> Result<Rendition, Refusal> {
    let mut pixels = match image {
        DynamicImage::ImageLuma8(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        _ => DynamicImage::ImageRgb8(image.to_rgb8()),
    };
    let mut qualities: &[u8] = &QUALITIES;
    loop {
        for &quality in qualities {
            let mut bytes = Vec::with_capacity(budget);
            JpegEncoder::new_with_quality(&mut bytes, quality)
                .encode_image(&pixels)
                .map_err(|error| Refusal::Invalid(format!("it could not be re-encoded ({error})")))?;
            if bytes.len() <= budget || pixels.width().max(pixels.height()) <= MIN_SIDE {
                let (width, height) = (pixels.width(), pixels.height());
                return Ok(Rendition { width, height, sha256: sha256_hex(&bytes), bytes, quality });
            }
        }
        // Three quarters of the side is about half the bytes.
        let side = pixels.width().max(pixels.height()) * 3 / 4;
        pixels = pixels.resize(side, side, FilterType::Triangle);
        qualities = std::slice::from_ref(&LOWEST_QUALITY);
    }
}

/// The lowercase hex SHA-256 of `bytes`: a stored file's key and URL.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `text` is a SHA-256 as [`sha256_hex`] writes it (64 lowercase hex digits).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]

    use image::{ImageBuffer, Rgb, Rgba};

    use super::*;

    /// A photo-like picture: smooth gradients, a few shapes, and sensor-like noise.
    pub(crate) fn photo(width: u32, height: u32) -> image::RgbImage {
        let mut seed: u32 = 0x9E37_79B9;
        ImageBuffer::from_fn(width, height, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed % 17) as i32 - 8;
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let disc = ((fx - 0.5).powi(2) + (fy - 0.45).powi(2)).sqrt() < 0.25;
            let base = if disc {
                [200.0 - 80.0 * fy, 60.0 + 60.0 * fx, 40.0]
            } else {
                [90.0 + 120.0 * fx, 140.0 + 60.0 * fy, 180.0 - 90.0 * fx]
            };
            let channel = |value: f32| (value as i32 + noise).clamp(0, 255) as u8;
            Rgb([channel(base[0]), channel(base[1]), channel(base[2])])
        })
    }

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        bytes
    }

    /// A PNG whose header declares `width` × `height` and whose pixel data is a few zero bytes.
    pub(crate) fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        fn crc(bytes: &[u8]) -> u32 {
            let mut crc = 0xFFFF_FFFFu32;
            for &byte in bytes {
                crc ^= u32::from(byte);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
                }
            }
            !crc
        }
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend_from_slice(data);
            out.extend_from_slice(&body);
            out.extend_from_slice(&crc(&body).to_be_bytes());
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no interlace
        chunk(&mut png, b"IHDR", &header);
        chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn only_jpeg_png_and_webp_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Ok(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(SourceFormat::Png));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Ok(SourceFormat::WebP));
        for other in [
            b"GIF89a\x01\0\x01\0".as_slice(),
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"hello, this is a text file named photo.jpg",
            b"BM\x3a\0\0\0",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"RIFF",
            b"\xFF\xD8",
            b"%PDF-1.7",
        ] {
            assert_eq!(sniff(other), Err(Refusal::Unsupported), "{other:?}");
        }
        assert!(matches!(sniff(b""), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn dimensions_are_limited_by_side_and_by_pixels() {
        assert_eq!(check_dimensions(4000, 3000), Ok(()));
        assert_eq!(check_dimensions(8000, 3125), Ok(()));
        assert_eq!(check_dimensions(1, 1), Ok(()));
        assert_eq!(check_dimensions(8001, 10), Err(Refusal::TooLarge { width: 8001, height: 10 }));
        assert_eq!(check_dimensions(10, 8001), Err(Refusal::TooLarge { width: 10, height: 8001 }));
        assert_eq!(check_dimensions(8000, 8000), Err(Refusal::TooLarge { width: 8000, height: 8000 }));
        assert_eq!(check_dimensions(u32::MAX, u32::MAX), Err(Refusal::TooLarge { width: u32::MAX, height: u32::MAX }));
        assert!(matches!(check_dimensions(0, 100), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn a_declared_giant_is_refused_from_its_header_without_decoding() {
        // The data could never make 60000 × 60000 pixels: had it been decoded, it would fail as
        // truncated, not as too large.
        let bomb = png_header_only(60_000, 60_000);
        assert!(bomb.len() < 100);
        assert_eq!(process(&bomb), Err(Refusal::TooLarge { width: 60_000, height: 60_000 }));
        // Within the sides but over the pixels.
        assert_eq!(process(&png_header_only(7000, 7000)), Err(Refusal::TooLarge { width: 7000, height: 7000 }));
        // Allowed dimensions, the same broken data: now it is decoded, and found wanting.
        assert!(matches!(process(&png_header_only(100, 100)), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn a_photo_makes_two_small_jpegs_without_metadata() {
        let photo = DynamicImage::ImageRgb8(photo(1600, 1200));
        for format in [ImageFormat::Png, ImageFormat::Jpeg] {
            let made = process(&encoded(&photo, format)).unwrap();
            assert_eq!((made.source_width, made.source_height), (1600, 1200));
            assert_eq!((made.detail.width, made.detail.height), (800, 600));
            assert_eq!((made.thumbnail.width, made.thumbnail.height), (200, 150));
            assert!(made.thumbnail.bytes.len() <= THUMBNAIL_BUDGET, "{format:?} {}", made.thumbnail.bytes.len());
            assert!(made.detail.bytes.len() <= DETAIL_BUDGET, "{format:?} {}", made.detail.bytes.len());
            for rendition in [&made.thumbnail, &made.detail] {
                assert_eq!(sniff(&rendition.bytes), Ok(SourceFormat::Jpeg));
                assert_eq!(rendition.sha256, sha256_hex(&rendition.bytes));
                assert!(is_sha256_hex(&rendition.sha256));
                // No EXIF (APP1) segment, and it decodes to its stated size.
                assert!(!rendition.bytes.windows(6).any(|window| window == b"Exif\0\0"));
                let decoded = image::load_from_memory(&rendition.bytes).unwrap();
                assert_eq!((decoded.width(), decoded.height()), (rendition.width, rendition.height));
            }
            // The same upload makes the same files.
            assert_eq!(process(&encoded(&photo, format)).unwrap(), made);
        }
    }

    #[test]
    fn a_small_image_is_not_enlarged_and_transparency_is_laid_on_white() {
        let clear = DynamicImage::ImageRgba8(ImageBuffer::from_pixel(120, 80, Rgba([0, 0, 0, 0])));
        let made = process(&encoded(&clear, ImageFormat::Png)).unwrap();
        assert_eq!((made.detail.width, made.detail.height), (120, 80));
        assert_eq!(made.detail.sha256, made.thumbnail.sha256, "one file serves both sizes");
        let decoded = image::load_from_memory(&made.detail.bytes).unwrap().into_rgb8();
        assert!(decoded.pixels().all(|pixel| pixel.0.iter().all(|&channel| channel > 250)), "white, not black");
    }

    #[test]
    fn noise_is_squeezed_into_its_budget() {
        let mut seed: u32 = 0x1234_5678;
        let noise = image::RgbImage::from_fn(1000, 1000, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let [red, green, blue, _] = seed.to_le_bytes();
            Rgb([red, green, blue])
        });
        let made = process(&encoded(&DynamicImage::ImageRgb8(noise), ImageFormat::Png)).unwrap();
        assert!(made.detail.bytes.len() <= DETAIL_BUDGET, "{}", made.detail.bytes.len());
        assert!(made.thumbnail.bytes.len() <= THUMBNAIL_BUDGET, "{}", made.thumbnail.bytes.len());
        assert!(made.detail.width < DETAIL_SIDE, "made smaller: {}", made.detail.width);
        assert_eq!(made.detail.quality, 40);
    }

    #[test]
    fn a_webp_is_taken() {
        let photo = DynamicImage::ImageRgb8(photo(300, 500));
        // The image crate writes WebP losslessly only: enough to prove the decoder is there.
        let made = process(&encoded(&photo, ImageFormat::WebP)).unwrap();
        assert_eq!(made.source, SourceFormat::WebP);
        assert_eq!((made.detail.width, made.detail.height), (300, 500));
        assert_eq!((made.thumbnail.width, made.thumbnail.height), (120, 200));
    }

    #[test]
    fn a_malformed_or_truncated_file_is_invalid() {
        let photo = encoded(&DynamicImage::ImageRgb8(photo(640, 480)), ImageFormat::Jpeg);
        // The JPEG decoder is lenient: a cut-off photo may come out with its missing part grey, or
        // be refused; never a panic.
        let truncated = &photo[..photo.len() / 3];
        assert!(matches!(process(truncated), Err(Refusal::Invalid(_)) | Ok(_)));
        for broken in [&photo[..20], b"\xFF\xD8\xFF\xE0 not a jpeg at all".as_slice(), b"\x89PNG\r\n\x1a\nIHDR"] {
            assert!(matches!(process(broken), Err(Refusal::Invalid(_))), "{broken:?}");
        }
        assert_eq!(process(b"GIF89a\x01\0\x01\0\0\0\0;"), Err(Refusal::Unsupported));
    }

    /// How long a 12-megapixel phone photo takes: `cargo test -p quipu-market --release -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn time_a_twelve_megapixel_jpeg() {
        let jpeg = encoded(&DynamicImage::ImageRgb8(photo(4000, 3000)), ImageFormat::Jpeg);
        let started = std::time::Instant::now();
        let made = process(&jpeg).unwrap();
        println!(
            "4000 x 3000 JPEG of {} bytes: {:?}; thumbnail {} bytes (q{}), detail {} bytes (q{})",
            jpeg.len(),
            started.elapsed(),
            made.thumbnail.bytes.len(),
            made.thumbnail.quality,
            made.detail.bytes.len(),
            made.detail.quality
        );
    }

    #[test]
    fn an_exif_orientation_is_applied_and_then_dropped() {
        // A JPEG 400 × 200 whose EXIF says "rotate 90° clockwise to show": shown 200 × 400.
        let wide = DynamicImage::ImageRgb8(photo(400, 200));
        let jpeg = encoded(&wide, ImageFormat::Jpeg);
        // Orientation 6 (rotate 90° CW), big-endian TIFF, one IFD entry.
        let tiff: &[u8] = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(tiff);
        let mut tagged = jpeg[..2].to_vec();
        tagged.extend_from_slice(&[0xFF, 0xE1]);
        tagged.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        tagged.extend_from_slice(&app1);
        tagged.extend_from_slice(&jpeg[2..]);
        let made = process(&tagged).unwrap();
        assert_eq!((made.source_width, made.source_height), (200, 400));
        assert_eq!((made.detail.width, made.detail.height), (200, 400));
        assert_eq!((made.thumbnail.width, made.thumbnail.height), (100, 200));
        assert!(!made.detail.bytes.windows(6).any(|window| window == b"Exif\0\0"));
    }
}
