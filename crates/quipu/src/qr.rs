//! `quipu qr …`: the payment-code library at a shell, for integrators and
//! support staff holding a payload someone scanned.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use quipu_codes::render::{self, ImageFormat};
use quipu_codes::scan::{self, Scanned};

use quipu_server::Fallible;

/// The most JSON `qr encode` reads: a QR symbol's payload tree is a few kilobytes at most.
const MAX_JSON_BYTES: u64 = 256 * 1024;

/// Reads a payload and returns its tree as pretty JSON, objects in payload order.
pub fn decode(payload: &str) -> Fallible<String> {
    let scanned = scan::scan(payload)?;
    Ok(serde_json::to_string_pretty(&scanned)?)
}

/// Writes the payload a JSON tree describes.
pub fn encode(json: &str) -> Fallible<String> {
    let scanned: Scanned = serde_json::from_str(json).map_err(|e| format!("not a payload tree: {e}"))?;
    Ok(scan::encode(&scanned)?)
}

/// Renders a payload as a QR symbol, or as a Code 128 barcode, in the format the file name's extension says.
pub fn render(payload: &str, output: &Path, barcode: bool) -> Fallible<()> {
    let format = output
        .extension()
        .and_then(|extension| extension.to_str())
        .and_then(ImageFormat::from_extension)
        .ok_or_else(|| format!("{}: the file name must end in .png or .svg", output.display()))?;
    let image = if barcode { render::code128(payload, format)? } else { render::qr(payload, format)? };
    if output.exists() {
        return Err(format!("{} exists; render never overwrites", output.display()).into());
    }
    std::fs::write(output, image).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    Ok(())
}

/// The payment code a device with this secret shows now, in a slot.
pub fn current_code(secret_hex: &str, device_ref: u32, slot: u8) -> Fallible<String> {
    let secret = hex::decode(secret_hex.trim()).map_err(|_| "the secret must be hex, as enrolment returned it")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let code = quipu_codes::numeric::generate(&secret, device_ref, i64::try_from(now)?, slot)?;
    Ok(code.to_digits()?)
}

/// The payload argument, or one line of stdin when it is `-`.
pub fn payload_argument(argument: &str) -> Fallible<String> {
    if argument != "-" {
        return Ok(argument.to_owned());
    }
    let text = read_stdin_bounded()?;
    Ok(text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text).to_owned())
}

pub fn read_stdin_bounded() -> Fallible<String> {
    let mut text = String::new();
    std::io::stdin().lock().take(MAX_JSON_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_JSON_BYTES {
        return Err(format!("stdin holds more than {MAX_JSON_BYTES} bytes").into());
    }
    Ok(text)
}

/// Writes a payload exactly: a newline follows only on a terminal, so `| cmp` sees the same bytes.
pub fn print_payload(payload: &str) -> Fallible<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(payload.as_bytes())?;
    if stdout.is_terminal() {
        stdout.write_all(b"\n")?;
    }
    Ok(())
}
