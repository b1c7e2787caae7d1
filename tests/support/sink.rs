//! The SMTP sink (tests/support/smtp_sink.py) as a separate process, for the
//! tests that need a real SMTP server: tests/mail.rs and tests/api/smtp.rs.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");

/// Whether `python3 -c <check>` works; if not, the test fails, or skips
/// when that is allowed (tests/support/require.rs).
pub fn python_ready(check: &str, what: &str) -> bool {
    let ok = Command::new("python3").args(["-c", check]).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    crate::require::present("smtp", ok, &format!("{what}: pip install aiosmtpd"))
}

/// The SMTP sink process, stopped with SIGTERM when the test is done.
pub struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    faults: Faults,
}

/// A stopped sink, with what it received so far.
pub struct Down {
    dir: tempfile::TempDir,
    port: u16,
    faults: Faults,
}

impl Down {
    /// Comes back well-behaved: no refusals, no delays.
    pub fn behaving(mut self) -> Down {
        self.faults = Faults::default();
        self
    }
}

/// How badly the sink behaves (all off by default).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer `451` after DATA to a random one in this many messages.
    pub refuse_one_in: u32,
    /// Wait up to this long before answering each DATA.
    pub slow_ms: u32,
    pub seed: u64,
}

impl Sink {
    pub fn start(auth: Option<&str>) -> Sink {
        Sink::spawn(tempfile::tempdir().unwrap(), 0, auth, Faults::default())
    }

    /// A sink that refuses and dawdles as `faults` say.
    pub fn start_faulty(faults: Faults) -> Sink {
        Sink::spawn(tempfile::tempdir().unwrap(), 0, None, faults)
    }

    /// SMTP down: the server process stops and its port refuses connections.
    pub fn down(mut self) -> Down {
        self.terminate();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        Down { dir, port: self.port, faults: self.faults.clone() }
    }

    /// SMTP up again: on the same port and folder, numbering and log going on.
    pub fn up(down: Down) -> Sink {
        Sink::spawn(down.dir, down.port, None, down.faults)
    }

    fn spawn(dir: tempfile::TempDir, port: u16, auth: Option<&str>, faults: Faults) -> Sink {
        let mut cmd = Command::new("python3");
        cmd.arg(SINK).args(["--port", &port.to_string(), "--exit-on-stdin-eof", "--dir"]).arg(dir.path());
        if let Some(pair) = auth {
            cmd.args(["--auth", pair]);
        }
        if faults.refuse_one_in > 0 {
            cmd.args(["--refuse-one-in", &faults.refuse_one_in.to_string()]);
        }
        if faults.slow_ms > 0 {
            cmd.args(["--slow-ms", &faults.slow_ms.to_string()]);
        }
        cmd.args(["--seed", &faults.seed.to_string()]);
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python3 starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(BufReader::new(stdout).lines().next());
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("the sink says READY in time");
        let line = line.expect("the sink prints a line").unwrap();
        let port = line.strip_prefix("READY ").and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| panic!("not READY: {line}"));
        Sink { child, dir, port, faults }
    }

    /// Every DATA the server answered, in order: (key, accepted?).
    pub fn log(&self) -> Vec<(String, bool)> {
        let text = std::fs::read_to_string(self.dir.path().join("log.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| (v["key"].as_str().unwrap_or("").to_string(), v["outcome"] == "accepted"))
            .collect()
    }

    /// Every accepted message's `X-Jiaoban-Key` and `Date` headers, as received.
    pub fn arrived(&self) -> Vec<(String, String)> {
        let header = |mail: &str, name: &str| {
            mail.lines().take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string())).unwrap_or_default()
        };
        self.received()
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap().replace("\r\n", "\n"))
            .map(|m| (header(&m, "X-Jiaoban-Key:"), header(&m, "Date:")))
            .collect()
    }

    /// How many times each key was accepted (delivered).
    pub fn delivered(&self) -> std::collections::BTreeMap<String, usize> {
        let mut out = std::collections::BTreeMap::new();
        for (key, accepted) in self.log() {
            if accepted {
                *out.entry(key).or_insert(0) += 1;
            }
        }
        out
    }

    /// Waits until every key in `keys` has been delivered (at most `limit`).
    pub fn wait_for_keys(&self, keys: &[String], limit: Duration) -> std::collections::BTreeMap<String, usize> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.delivered();
            if keys.iter().all(|k| got.contains_key(k)) || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self, userinfo: &str) -> String {
        format!("smtp://{userinfo}127.0.0.1:{}", self.port)
    }

    /// Waits until `n` messages have arrived; returns their `.eml` paths in order.
    pub fn wait_for(&self, n: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let paths: Vec<PathBuf> = (1..=n).map(|k| self.dir.path().join(format!("{k}.eml"))).collect();
            if paths.iter().all(|p| p.exists()) {
                return paths;
            }
            assert!(Instant::now() < deadline, "the sink got fewer than {n} mails");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every `.eml` received so far, in any order.
    pub fn received(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path()).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect()
    }

    pub fn envelope(&self, eml: &Path) -> Value {
        let path = eml.with_extension("envelope.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub fn stop(mut self) -> ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the sink ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Only after a failed assertion: `stop` already reaped the process.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
