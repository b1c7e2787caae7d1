//! The service for the browser tests and `tests/web.rs`: `tests/api`'s
//! `spawn_app`, plus what only pages need (multipart bodies, a PNG).
#![allow(dead_code)]

#[path = "../api/helpers.rs"]
mod helpers;

#[allow(unused_imports)] // each of the two test targets uses a part
pub use helpers::{ADMIN_PASSWORD, PASSWORD, TestApp as Server, client, sign_in};

/// Starts the service on a test clock with an empty database (SQLite).
pub async fn start(test_clock: &str) -> Server {
    helpers::spawn_app(helpers::Backend::Sqlite, test_clock).await
}

/// The same on a fresh PostgreSQL database, or `None` when PostgreSQL is
/// missing and skipping it is allowed (tests/support/require.rs).
pub async fn start_postgres(test_clock: &str) -> Option<Server> {
    if !helpers::postgres_ready().await {
        return None;
    }
    Some(helpers::spawn_app(helpers::Backend::Postgres, test_clock).await)
}

/// Starts the service with `jiaoban demo`'s data and accounts.
pub async fn start_demo() -> Server {
    helpers::spawn_demo().await
}

/// A tiny valid PNG (solid colour): signature, IHDR, one stored-deflate IDAT, IEND.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    // Each scanline: filter byte 0 (none), then the pixels.
    let line: Vec<u8> = std::iter::once(0).chain(rgb.iter().copied().cycle().take(3 * width as usize)).collect();
    let raw: Vec<u8> = line.iter().copied().cycle().take(line.len() * height as usize).collect();
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    assert!(raw.len() < 65536, "one stored block");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend((raw.len() as u16).to_le_bytes());
    zlib.extend((!(raw.len() as u16)).to_le_bytes());
    zlib.extend(&raw);
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A multipart/form-data body by hand: (name, filename, bytes) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----jiaobanTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
