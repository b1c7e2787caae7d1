//! The SMTP sink (tests/support/smtp_sink.py) as a separate process, for the
//! tests that need a real SMTP server: tests/mail.rs and tests/api/smtp.rs.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");

/// Whether `python3 -c <check>` works; if not, skip (false) or, under CI, fail.
pub fn python_ready(check: &str, what: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", check])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: {what} is required for the mail tests (pip install aiosmtpd)"
        );
        // Straight to stderr: libtest captures `eprintln!`, and a skip that
        // nobody sees is a test that silently stopped running.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {what} is not available; `pip install aiosmtpd` to run this test");
    }
    ok
}

/// The SMTP sink process, stopped with SIGTERM when the test is done.
pub struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Sink {
    pub fn start(auth: Option<&str>) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(SINK).args(["--port", "0", "--exit-on-stdin-eof", "--dir"]).arg(dir.path());
        if let Some(pair) = auth {
            cmd.args(["--auth", pair]);
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python3 starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(BufReader::new(stdout).lines().next());
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("the sink says READY in time");
        let line = line.expect("the sink prints a line").unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("not READY: {line}"));
        Sink { child, dir, port }
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
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect()
    }

    pub fn envelope(&self, eml: &Path) -> Value {
        let path = eml.with_extension("envelope.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub fn stop(mut self) -> ExitStatus {
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

