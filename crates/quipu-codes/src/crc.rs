//! CRC-16/CCITT-FALSE (CRC-16/IBM-3740): polynomial 0x1021, initial value
//! 0xFFFF, no reflection, no final xor.

/// The checksum of `bytes`.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The checksum as MPM payloads write it: four upper-case hex digits, zero-padded.
pub fn crc_hex(bytes: &[u8]) -> String {
    format!("{:04X}", crc16_ccitt_false(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_catalogued_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc_hex(b""), "FFFF");
    }
}
