//! The `jiaoban` binary: parse the command line and hand over to [`jiaoban::cli`].

// glibc's malloc gives each thread that allocates (tokio's workers, the
// SQLite driver's threads, password hashing) an arena of its own and seldom
// hands their free pages back: under the soak load `serve` grew from 83 to
// 330 MiB in 8 minutes, almost all of it in a dozen ~20 MB arenas
// (benches/memory.rs, /proc/PID/smaps). mimalloc returns freed pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jiaoban::cli::main()
}
