//! `quipu qr decode | encode | render` as a person runs them: the binary, real pipes, real files.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::quipu_binary;

const EMV_EXAMPLE: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";
const PIX: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
const PROMPTPAY: &str = "00020101021129370016A000000677010111011300668012345675802TH530376463046197";
const CPM_EXAMPLE: &str = "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=";
const QUIPU_CODE: &str = "84123456783132707950";

/// Runs `quipu` with arguments and stdin; returns (success, stdout bytes, stderr).
fn quipu(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = Command::new(quipu_binary())
        .args(args)
        .env_remove("QUIPU_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.success(), output.stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn decode_then_encode_gives_back_every_payload_byte_for_byte() {
    for payload in [EMV_EXAMPLE, PIX, PROMPTPAY, CPM_EXAMPLE, QUIPU_CODE] {
        let (ok, json, stderr) = quipu(&["qr", "decode", payload], b"");
        assert!(ok, "{payload}: {stderr}");
        let (ok, written, stderr) = quipu(&["qr", "encode"], &json);
        assert!(ok, "{stderr}");
        assert_eq!(String::from_utf8(written).unwrap(), payload);
    }
}

#[test]
fn decode_prints_the_tree_in_payload_order() {
    let (ok, json, _) = quipu(&["qr", "decode", EMV_EXAMPLE], b"");
    assert!(ok);
    let tree: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(tree["format"], "mpm");
    let ids: Vec<&str> = tree["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91", "63"]);
    assert_eq!(tree["objects"][8]["template"][1]["text"], "最佳运输");

    let (ok, json, _) = quipu(&["qr", "decode", "-"], format!("{QUIPU_CODE}\n").as_bytes());
    assert!(ok);
    let tree: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        tree,
        serde_json::json!({"format": "quipu_code", "device_ref": 12345678, "slot": 3, "one_time_value": 13270795})
    );
}

#[test]
fn corrupt_payloads_exit_non_zero_with_the_reason() {
    let cases = [
        ("00020101021226270012hk.com.hkicl0207999999952040000530334454031235802HK5902NA6002HK630484E1", "D1A3"),
        (
            "00020126360014BR.GOV.BCB.PIX0114+5511943214321520400005303986540566.665802BR5907EMPRESA6008BRASILIA62080503***6304170E",
            "62",
        ),
        ("84123456783132707951", "check digit"),
        ("hQVDUFYwMWE=", "consumer QR"),
        ("hello", "not a payment code"),
    ];
    for (payload, reason) in cases {
        let (ok, stdout, stderr) = quipu(&["qr", "decode", payload], b"");
        assert!(!ok, "{payload} was accepted");
        assert!(stdout.is_empty());
        assert!(stderr.contains(reason), "{payload}: {stderr}");
    }
    let (ok, _, stderr) = quipu(&["qr", "encode"], b"{\"format\": \"mpm\", \"objects\": 7}");
    assert!(!ok);
    assert!(stderr.contains("not a payload tree"), "{stderr}");
}

#[test]
fn render_writes_png_and_svg_images_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("merchant.png");
    let (ok, _, stderr) = quipu(&["qr", "render", EMV_EXAMPLE, "-o", png.to_str().unwrap()], b"");
    assert!(ok, "{stderr}");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let (ok, _, stderr) = quipu(&["qr", "render", EMV_EXAMPLE, "-o", png.to_str().unwrap()], b"");
    assert!(!ok && stderr.contains("exists"), "{stderr}");

    let svg = dir.path().join("code.svg");
    let (ok, _, stderr) = quipu(&["qr", "render", QUIPU_CODE, "--barcode", "-o", svg.to_str().unwrap()], b"");
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains(QUIPU_CODE), "the digits print under the bars");

    let (ok, _, stderr) = quipu(&["qr", "render", QUIPU_CODE, "-o", dir.path().join("x.gif").to_str().unwrap()], b"");
    assert!(!ok && stderr.contains(".png or .svg"), "{stderr}");
}
