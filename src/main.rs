//! The `jiaoban` binary: parse the command line and hand over to [`jiaoban::cli`].

fn main() -> std::process::ExitCode {
    jiaoban::cli::main()
}
