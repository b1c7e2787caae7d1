//! The `jiaoban` binary: parse the command line and hand over to [`jiaoban::cli`].

use std::time::Duration;

// glibc's malloc gives each thread that allocates (tokio's workers, the
// SQLite driver's threads, password hashing) an arena of its own and seldom
// hands their free pages back: under the soak load `serve` grew from 83 to
// 357 MiB in 9 minutes, almost all of it in a dozen ~20 MB arenas
// (benches/memory.rs, /proc/PID/smaps). mimalloc returns freed pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jiaoban::cli::main(for_serving, no_huge_pages)
}

/// What a process that runs for months needs of its memory (`serve`,
/// `demo`; called before their runtime starts any thread). The batch
/// commands end in seconds or hours and keep the defaults.
fn for_serving() {
    c_heap::tame();
    no_huge_pages();
}

/// No transparent huge pages for a server (`serve`, `demo`): mimalloc asks
/// for them (madvise) on its arenas, and then a few live objects pin a
/// whole 2 MiB page that mimalloc's purge of freed memory cannot hand back.
/// Under the constant-size soak the arena's huge pages grew from 48 to 72
/// MiB in 18 minutes; with them off, RSS stayed about 40 MiB lower
/// (benches/memory.rs, README). `simulate` turns them off too: its issues
/// and report entries grow by doubling, and each fresh huge page is zeroed
/// whole when first touched, and again after mimalloc purges part of it —
/// `perf` put 37–57% of a replay of 1,000,000 events in the kernel's
/// `clear_page_erms`, usually 0.12–0.48 s of system time beside 0.4 s of
/// user time (0.07–0.23 s without huge pages, user time the same). The other
/// batch commands keep them. `MIMALLOC_ALLOW_THP=0` would do the same,
/// but mimalloc reads it before `main` runs.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory
    // map (inherited by children); the unused arguments must be zero.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// SQLite is C and allocates with the C library's malloc, not Rust's: with
/// mimalloc for Rust, `serve` still grew (89 → 420 MiB in 16 minutes), now
/// in glibc arenas of the SQLite driver's threads, which copy every value of
/// every row they read. Two arenas instead of one per thread, and a trim
/// every minute that hands their free pages back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod c_heap {
    use super::Duration;

    pub fn tame() {
        // SAFETY: mallopt only tunes glibc's allocator; it is called before
        // any other thread exists, with a valid parameter.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
        let trim = || loop {
            std::thread::sleep(Duration::from_secs(60));
            // SAFETY: malloc_trim only returns free pages of glibc's heap
            // to the system; it is safe to call from any thread at any time.
            unsafe {
                libc::malloc_trim(0);
            }
        };
        let _ = std::thread::Builder::new().name("malloc-trim".into()).spawn(trim);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod c_heap {
    pub fn tame() {}
}
