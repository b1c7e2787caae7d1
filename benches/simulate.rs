//! `cargo bench --bench simulate`: replay speed and peak memory of
//! `jiaoban simulate`, side by side with the typed-parsing floor.
//!
//! Not a timed test: it prints figures for the README and issue 12. For each
//! size (`SIM_BENCH_SIZES`, default `250000,1000000` events) it writes a
//! generated timeline to a temporary file, then times, best of
//! `SIM_BENCH_RUNS` (default 3) runs taken in turn:
//! - the floor: reading the file line by line into one `String` and
//!   deserialising each line with serde_json into a typed event that borrows
//!   its strings, nothing else;
//! - `simulate` and `simulate --reminders` as the command runs them: stream
//!   the file through `simulate::run`, write the report through a 64 KiB
//!   `BufWriter` into a sink that only counts bytes.
//!
//! `SIM_BENCH_WRITE=FILE` writes the timeline of the first size to FILE and
//! stops, to replay it through the binary.
//!
//! Rates are per CPU second of this process (utime + stime from
//! /proc/self/stat), as the machine is shared; wall rates are shown too.
//! Each measurement runs in its own process, so that its peak RSS (VmHWM)
//! is its own.

use serde::Deserialize;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

// The binary's allocator (src/main.rs), so that a replay here allocates as
// `jiaoban simulate` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A timeline line as a typed struct that borrows its strings: what serde
/// can do at best with this input.
#[derive(Deserialize)]
#[allow(dead_code)] // read by black_box only
struct FloorEvent<'a> {
    #[serde(borrow)]
    at: Cow<'a, str>,
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    issue: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    unit: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    note: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    violation: Option<Cow<'a, str>>,
    #[serde(default)]
    passed: Option<bool>,
}

/// Seconds of CPU (user + system) this process has used, from /proc/self/stat
/// (fields 14 and 15, in USER_HZ = 100 ticks a second on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest.split_whitespace().skip(11).take(2).map(|f| f.parse().unwrap_or(0)).collect();
    fields.iter().sum::<u64>() as f64 / 100.0
}

/// Peak resident memory of this process since the last reset, from /proc.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// A deterministic mix: each issue is registered, signed, reported, rechecked
/// (one in six fails first) and closed; a few violations; time moves on
/// about 6 minutes per event, so issues span every tier and many quarters.
fn write_timeline(path: &Path, events: usize) {
    let units = ["中兴街道", "竹行街道", "新开街道", "老洪港管理办公室", "区住建局", "区生态环境局"];
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut t = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap().and_hms_opt(8, 0, 0).unwrap();
    let mut seed: u64 = 42;
    let mut rand = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut next_issue = 0usize;
    // Issues in flight: (id, next step); steps after registration wait for a dispatch.
    let mut flight: std::collections::VecDeque<(usize, u8)> = Default::default();
    for _ in 0..events {
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
    }
    out.flush().unwrap();
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

/// One timed run: (wall seconds, CPU seconds, what it returned).
fn timed<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let value = f();
    (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu, value)
}

/// How many lines the file has, read in chunks (allocating nothing per line).
fn lines(path: &Path) -> usize {
    let (mut file, mut chunk, mut lines) = (std::fs::File::open(path).unwrap(), vec![0u8; 1 << 16], 0);
    loop {
        match std::io::Read::read(&mut file, &mut chunk).unwrap() {
            0 => return lines,
            n => lines += chunk[..n].iter().filter(|&&b| b == b'\n').count(),
        }
    }
}

/// The floor: every line read and deserialised, nothing else.
fn floor(path: &Path) -> usize {
    let mut input = BufReader::with_capacity(1 << 16, std::fs::File::open(path).unwrap());
    let (mut line, mut events) = (String::with_capacity(256), 0usize);
    while input.read_line(&mut line).unwrap() > 0 {
        let event: FloorEvent = serde_json::from_str(&line).expect("the generated timeline is valid");
        std::hint::black_box(&event);
        events += 1;
        line.clear();
    }
    events
}

/// `jiaoban simulate` as the command runs it; returns the report's size.
fn simulate(wf: &jiaoban::core::Workflow, path: &Path, reminders: bool) -> usize {
    let input = BufReader::with_capacity(1 << 16, std::fs::File::open(path).unwrap());
    let out = jiaoban::simulate::run(wf, input, None, reminders).expect("the generated timeline is valid");
    let mut sink = CountingSink(0);
    let mut writer = BufWriter::with_capacity(1 << 16, &mut sink);
    jiaoban::simulate::write_json(&out, &mut writer).and_then(|_| writeln!(writer)).and_then(|_| writer.flush()).unwrap();
    drop(writer);
    sink.0
}

/// Runs one measurement in a child process (this executable again), so
/// that its peak RSS is its own and not memory an earlier run left behind.
/// Returns (events per CPU second, per wall second, report bytes, peak KiB).
fn measure(mode: &str, path: &Path) -> [f64; 4] {
    let out = std::process::Command::new(std::env::current_exe().unwrap()).env("SIM_BENCH_CHILD", mode).env("SIM_BENCH_FILE", path).output().unwrap();
    assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let f: Vec<f64> = text.split_whitespace().map(|v| v.parse().unwrap()).collect();
    [f[0], f[1], f[2], f[3]]
}

/// The child's side of [`measure`]: runs repeated until they add up to half
/// a CPU second (/proc/self/stat counts in hundredths), printed as
/// "cpu-rate wall-rate bytes peak-KiB".
fn child(mode: &str) {
    // As `jiaoban simulate` runs (src/main.rs, `no_huge_pages`): no
    // transparent huge pages, for the floor and the replays alike.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory
    // map; the unused arguments must be zero.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    let path = std::path::PathBuf::from(std::env::var("SIM_BENCH_FILE").unwrap());
    let events = lines(&path);
    let wf = jiaoban::core::Workflow::load(Path::new("workflows/water-environment.toml")).unwrap();
    let (mut wall, mut cpu, mut bytes, mut replayed) = (0.0, 0.0, 0, 0);
    while cpu < 0.5 {
        let (w, c, b) = match mode {
            "floor" => timed(|| {
                assert_eq!(floor(&path), events);
                0
            }),
            "simulate" => timed(|| simulate(&wf, &path, false)),
            _ => timed(|| simulate(&wf, &path, true)),
        };
        (wall, cpu, bytes, replayed) = (wall + w, cpu + c, b, replayed + events);
    }
    println!("{} {} {bytes} {}", replayed as f64 / cpu, replayed as f64 / wall, peak_rss_kib());
}

const MODES: [(&str, &str); 3] = [("floor", "floor (typed, borrowed)"), ("simulate", "simulate"), ("reminders", "simulate --reminders")];

fn main() {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    if let Ok(mode) = std::env::var("SIM_BENCH_CHILD") {
        return child(&mode);
    }
    let runs: usize = env("SIM_BENCH_RUNS", "3").parse().expect("SIM_BENCH_RUNS: a number");
    let sizes: Vec<usize> = env("SIM_BENCH_SIZES", "250000,1000000").split(',').map(|s| s.trim().parse().expect("SIM_BENCH_SIZES: numbers")).collect();
    // `SIM_BENCH_WRITE=FILE` only writes the timeline of the first size, to
    // replay it through the binary (`jiaoban simulate --events FILE`).
    if let Ok(file) = std::env::var("SIM_BENCH_WRITE") {
        return write_timeline(Path::new(&file), sizes[0]);
    }
    let dir = tempfile::tempdir().unwrap();
    for events in sizes {
        let path = dir.path().join(format!("timeline-{events}.jsonl"));
        write_timeline(&path, events);
        let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        // Rounds of floor, simulate, simulate --reminders in turn, so that a
        // busy spell of the machine hits all three alike; the best of each.
        let mut best = [[0.0; 4]; 3];
        for _ in 0..runs {
            for (m, (mode, _)) in MODES.iter().enumerate() {
                let run = measure(mode, &path);
                if run[0] > best[m][0] {
                    best[m] = run;
                }
            }
        }
        println!("{events} events ({mb:.0} MB), best of {runs} by CPU time, each run in its own process:");
        for (m, (_, name)) in MODES.iter().enumerate() {
            let [rate, wall, bytes, peak] = best[m];
            print!("  {name:<24} {:>5.2} M events/CPU s ({:.2} M/s wall)", rate / 1e6, wall / 1e6);
            if m > 0 {
                print!(", {:.2} of the floor; report {:.1} MB", rate / best[0][0], bytes / 1e6);
            }
            println!("; peak RSS {:.1} MiB", peak / 1024.0);
        }
    }
}
