//! What more than one benchmark needs (each bench is its own crate: they
//! include this file as a module).

/// Resident memory of a process (`"self"` or a pid), in KiB, from /proc.
pub fn rss_kib(process: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
