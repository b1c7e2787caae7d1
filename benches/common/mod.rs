//! What more than one benchmark needs (each bench is its own crate: they
//! include this file as a module).

/// Resident memory of a process (`"self"` or a pid), in KiB, from /proc.
pub fn rss_kib(process: &str) -> u64 {
    status_kib(process, "VmRSS:")
}

/// This process's peak resident memory since [`reset_peak`] (KiB).
#[allow(dead_code)]
pub fn peak_kib() -> u64 {
    status_kib("self", "VmHWM:")
}

/// Starts [`peak_kib`] over from the present resident size (Linux).
#[allow(dead_code)]
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn status_kib(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
