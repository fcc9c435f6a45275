//! Any text, and any bytes as base64, into the EMV consumer-QR reader: it
//! never panics, and whatever it accepts writes back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quipu_codes::cpm;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(payload) = cpm::decode(text) {
            assert_eq!(cpm::encode(&payload).expect("readable means writable"), text);
        }
    }
    let base64 = base64_encode(data);
    if let Ok(payload) = cpm::decode(&base64) {
        assert_eq!(cpm::encode(&payload).expect("readable means writable"), base64);
    }
});

/// Standard base64 with padding, so the fuzzer reaches the TLV parser instead of the base64 check.
fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let bytes = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
