//! Any text into the EMV merchant-QR reader: it never panics, and whatever it
//! accepts writes back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quipu_codes::mpm;

fuzz_target!(|text: &str| {
    if let Ok(payload) = mpm::decode(text) {
        let written = mpm::encode(&payload).expect("a payload that was read can be written");
        assert_eq!(written, text, "decode then encode must round-trip");
    }
});
