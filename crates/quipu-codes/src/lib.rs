//! Quipu's payment-code library: the payloads a camera or scanner reads.
//!
//! - [`mpm`]: EMVCo merchant-presented QR payloads (the shop shows, the phone scans).
//! - [`cpm`]: EMVCo consumer-presented QR payloads (the phone shows, the till scans).
//! - [`crc`]: CRC-16/CCITT-FALSE, the checksum MPM payloads end with.
//!
//! Everything a camera reads is hostile: decoders are bounded, never panic,
//! and say exactly what is wrong. Readers are strict about structure and
//! checksums and tolerant about which objects are present, as real national
//! schemes demand; writers are strict. No I/O happens here.

pub mod cpm;
pub mod crc;
pub mod mpm;
