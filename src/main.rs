//! The `greenroom` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
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

/// glibc's malloc gives each thread that allocates an arena of its own, up to eight per
/// core, and keeps freed memory in them: the server's worker, blocking and background
/// threads then hold 60–65 MiB under a load of orders. Two arenas, and memory above
/// 128 KiB given back at once, hold it near 50 MiB at the same speed (measured with the
/// load tool; README "Speed and scale"). An operator's own `MALLOC_*` settings win.
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
