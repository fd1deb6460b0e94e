//! The `greenroom` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
    tune_mimalloc();
    let (cli, serve_matches) = greenroom::cli::parse();
    greenroom::cli::init_logs(cli.log_format);
    match greenroom::cli::run(cli, serve_matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greenroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc's malloc (now SQLite's and libpq's; Rust's is mimalloc, below) gives each thread
/// that allocates an arena of its own, up to eight per core, and keeps freed memory in
/// them: when it served every allocation, the server's threads held 60–65 MiB under a
/// load of orders. Two arenas, and memory above 128 KiB given back at once, held it near
/// 50 MiB at the same speed (measured with the load tool; README "Speed and scale"). An
/// operator's own `MALLOC_*` settings win.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    let set = |name: &str| std::env::var_os(name).is_some();
    // SAFETY: mallopt only changes malloc's parameters; it is called before any thread
    // is started, as glibc asks.
    unsafe {
        if !set("MALLOC_ARENA_MAX") {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
        if !set("MALLOC_TRIM_THRESHOLD_") {
            libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
        }
        if !set("MALLOC_MMAP_THRESHOLD_") {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// Rust's allocations go to mimalloc: a heap per thread, where glibc's malloc (held to two
/// arenas, above) had the SQLite writer, whose lock every order waits for, asleep on an
/// arena's lock behind the other threads (seen with `perf record -e sched:sched_switch`).
/// Interleaved on two cores: orders +10-35 %, availability +10-27 %. SQLite's own
/// allocations stay with glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option `purge_delay` (its number in mimalloc's `mi_option_t`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory mimalloc no longer uses goes back to the system at once rather than after
/// 10 ms: under orders peak RSS was 140-150 MiB with its defaults, 47-49 MiB with this and
/// transparent huge pages off (the `no_thp` feature), at the same speed. An operator's
/// own `MIMALLOC_PURGE_DELAY` wins.
fn tune_mimalloc() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only stores an option's value; mimalloc reads it when it
        // next purges.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}
