//! `multipart/form-data` bodies as a browser sends them (the tests' reqwest is built without its
//! multipart feature): uploads of product photos, prescriptions and catalog files.

/// One part of a form: a plain field, or a file with its name and type.
pub enum Part<'a> {
    Field { name: &'a str, value: &'a str },
    File { name: &'a str, filename: &'a str, content_type: &'a str, bytes: &'a [u8] },
}

const BOUNDARY: &str = "quipu-test-boundary-7d2c";

/// The body's content type and bytes, its parts in the order given.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Field { name, value } => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File { name, filename, content_type, bytes } => {
                let head = format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                );
                body.extend_from_slice(head.as_bytes());
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A form of one file field.
pub fn one_file(name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    multipart(&[Part::File { name, filename, content_type, bytes }])
}
