//! `cargo bench --bench simulate`: replay speed and peak memory of
//! `jiaoban simulate` on a generated timeline of 1,000,000 events.
//!
//! Not a timed test: it prints figures for the README. The timeline is written
//! to a temporary file first and streamed from it, as the command does.

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

const EVENTS: usize = 1_000_000;

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// A deterministic mix: each issue is registered, signed, reported, rechecked
/// (one in six fails first) and closed; a few violations; time moves on
/// about 6 minutes per event, so issues span every tier and many quarters.
fn write_timeline(path: &std::path::Path) -> usize {
    let units = ["中兴街道", "竹行街道", "新开街道", "老洪港管理办公室", "区住建局", "区生态环境局"];
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut t = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap().and_hms_opt(8, 0, 0).unwrap();
    let mut seed: u64 = 42;
    let mut rand = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let (mut written, mut next_issue) = (0usize, 0usize);
    // Issues in flight: (id, next step); steps after registration wait for a dispatch.
    let mut flight: std::collections::VecDeque<(usize, u8)> = Default::default();
    while written < EVENTS {
        t += chrono::Duration::seconds(rand(720) as i64);
        let at = t.format("%Y-%m-%dT%H:%M:%S");
        let line = if flight.len() < 2000 || rand(5) == 0 {
            next_issue += 1;
            flight.push_back((next_issue, 0));
            format!(
                r#"{{"at":"{at}","event":"register","issue":"B-{next_issue}","unit":"{}","title":"排口整治","source":"巡查发现","category":"入河污染源"}}"#,
                units[rand(6) as usize]
            )
        } else if rand(200) == 0 {
            format!(r#"{{"at":"{at}","event":"violation","unit":"{}","note":"未按调度指令开闸"}}"#, units[rand(6) as usize])
        } else {
            let (id, step) = flight.pop_front().unwrap();
            let (event, next) = match step {
                0 => (r#""event":"dispatch""#.to_string(), 1),
                1 => (format!(r#""event":"accept","issue":"B-{id}""#), 2),
                2 => (format!(r#""event":"report","issue":"B-{id}""#), 3),
                3 => (format!(r#""event":"recheck","issue":"B-{id}","passed":{}"#, rand(6) != 0), 4),
                _ => (format!(r#""event":"close","issue":"B-{id}""#), 5),
            };
            // A failed recheck sends the issue back to be reported again.
            let next = if step == 3 && event.ends_with("false") { 2 } else { next };
            if next < 5 {
                flight.push_back((id, next));
            }
            format!(r#"{{"at":"{at}",{event}}}"#)
        };
        writeln!(out, "{line}").unwrap();
        written += 1;
    }
    written
}

/// Counts the bytes of the report instead of keeping them, as a pipe would.
struct CountingSink(usize);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timeline.jsonl");
    let events = write_timeline(&path);
    let size = std::fs::metadata(&path).unwrap().len();
    let wf = jiaoban::core::Workflow::load(std::path::Path::new("workflows/water-environment.toml")).unwrap();
    let before = peak_rss_kib();
    for reminders in [false, true] {
        let started = Instant::now();
        let input = BufReader::with_capacity(1 << 16, std::fs::File::open(&path).unwrap());
        let out = jiaoban::simulate::run(&wf, input, None, reminders).expect("the generated timeline is valid");
        let mut counter = CountingSink(0);
        jiaoban::simulate::write_json(&out, std::io::BufWriter::new(&mut counter)).unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "simulate{}: {events} events ({:.0} MB) in {secs:.2} s = {:.0} events/s; output {:.1} MB, {} quarters, {} open; peak RSS {} MiB (before: {} MiB)",
            if reminders { " --reminders" } else { "" },
            size as f64 / 1e6,
            events as f64 / secs,
            counter.0 as f64 / 1e6,
            out.quarters.len(),
            out.open.len(),
            peak_rss_kib() / 1024,
            before / 1024
        );
    }
}
