//! The command line: `jiaoban simulate` (and later `serve`, `demo`, `import`).

use crate::core::Workflow;
use clap::{Parser, Subcommand};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for bad input (timeline.md).
const BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "jiaoban", version, about = "交办: deadline-driven issue handling for a 攻坚办")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a timeline of events and print the quarter reports as JSON.
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The workflow file (rules as data).
    #[arg(long, default_value = "workflows/water-environment.toml")]
    pub workflow: PathBuf,
    /// JSON Lines timeline; `-` reads standard input.
    #[arg(long)]
    pub events: String,
    /// When the simulated clock stops (local time); default: the last event.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Also list every reminder mail sent.
    #[arg(long)]
    pub reminders: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Simulate(args) => simulate(args),
    }
}

fn simulate(args: SimulateArgs) -> ExitCode {
    let wf = match Workflow::load(&args.workflow) {
        Ok(wf) => wf,
        Err(e) => return bad_input(&e.to_string()),
    };
    let result = if args.events == "-" {
        crate::simulate::run(&wf, std::io::stdin().lock(), args.as_of.as_deref(), args.reminders)
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => crate::simulate::run(&wf, BufReader::with_capacity(1 << 16, f), args.as_of.as_deref(), args.reminders),
            Err(e) => return bad_input(&format!("--events: cannot open {}: {e}", args.events)),
        }
    };
    match result {
        Ok(output) => {
            let mut out = std::io::stdout().lock();
            let text = crate::simulate::to_json(&output);
            if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(&e.0),
    }
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(BAD_INPUT)
}
