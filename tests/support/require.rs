//! Tests that need something outside the process — PostgreSQL, the SMTP
//! server process (python3 with aiosmtpd), Chromium — fail when it is
//! missing, because a test that silently runs nothing is how a broken
//! feature stays green. A developer without one of them may allow the skip
//! explicitly: `JIAOBAN_ALLOW_SKIP=postgres,smtp,chromium` (or `all`). A
//! skipped test prints a `SKIPPED:` line and, when `JIAOBAN_SKIP_LOG` names
//! a file, adds the line there, so the run's summary counts it.
#![allow(dead_code)]

use std::io::Write;

/// `ok` if `what` is there; otherwise panics, or (allowed) skips: false.
pub fn present(what: &str, ok: bool, how: &str) -> bool {
    if ok {
        return true;
    }
    let allowed = std::env::var("JIAOBAN_ALLOW_SKIP").unwrap_or_default();
    if !allowed.split(',').map(str::trim).any(|a| a == what || a == "all") {
        panic!("this test needs {what}: {how} (or set JIAOBAN_ALLOW_SKIP={what} to skip it)");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let line = format!("SKIPPED: {test}: {what} is missing ({how})");
    // Straight to stderr: libtest captures `eprintln!`.
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Ok(path) = std::env::var("JIAOBAN_SKIP_LOG")
        && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = writeln!(f, "{line}");
    }
    false
}
