//! Quipu's payment-code library: the payloads a camera or scanner reads.
//!
//! - [`mpm`]: EMVCo merchant-presented QR payloads (the shop shows, the phone scans).
//! - [`cpm`]: EMVCo consumer-presented QR payloads (the phone shows, the till scans).
//! - [`crc`]: CRC-16/CCITT-FALSE, the checksum MPM payloads end with.
//! - [`numeric`]: Quipu's 20-digit one-time payment code, and its CPM wrapping.
//! - [`scan`]: recognising which of these a scanner read.
//! - [`render`]: QR codes and Code 128 barcodes as SVG or PNG bytes.
//!
//! Everything a camera reads is hostile: decoders are bounded, never panic,
//! and say exactly what is wrong. Readers are strict about structure and
//! checksums and tolerant about which objects are present, as real national
//! schemes demand; writers are strict. No I/O happens here.

pub mod cpm;
pub mod crc;
pub mod mpm;
pub mod numeric;
pub mod render;
pub mod scan;
