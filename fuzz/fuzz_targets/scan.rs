//! Any text into the scanner front door (merchant QR, consumer QR, numeric
//! code): it never panics, whatever it accepts writes back byte for byte,
//! and the JSON tree `quipu qr decode` prints reads back as the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quipu_codes::scan;

fuzz_target!(|text: &str| {
    if let Ok(scanned) = scan::scan(text) {
        assert_eq!(scan::encode(&scanned).expect("readable means writable"), text);
        let json = serde_json::to_string(&scanned).expect("a tree serialises");
        let back: scan::Scanned = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back, scanned);
        let _ = scanned.payment_code();
    }
});
