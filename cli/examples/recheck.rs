//! Checks a configuration, then again after each of N one-line edits, in
//! one kept evaluator (`incremental`), printing what each check took:
//! for profiling the language server's final diagnostics.
//! It runs on the server's allocator, tuned as for `nixcfg lsp`.
//!     cargo run --release -p nixcfg --example recheck -- CONFIG N
#[global_allocator]
static GLOBAL: nixcfg::allocator::Allocator = nixcfg::allocator::Allocator;

fn main() {
    nixcfg::allocator::tune(true); // as `nixcfg lsp`
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().expect("CONFIG"));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut text = std::fs::read_to_string(&path).expect("readable");
    let opts = nixcfg_compiler::eval::EvalOptions::default();
    std::thread::Builder::new()
        .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
        .spawn(move || {
            nixcfg_compiler::eval::run::enter_eval_thread();
            let mut kept = nixcfg_compiler::incremental::IncrementalCheck::default();
            for i in 0..=n {
                // RECHECK_SETTLE=1: check 1 is of the same text, as the
                // language server settles a fresh check.
                let settle = i == 1 && std::env::var_os("RECHECK_SETTLE").is_some();
                if i > 0 && !settle {
                    text =
                        text.replacen("description = \"User ", "description = \"Edited User ", 1);
                    std::fs::write(&path, &text).expect("writable");
                }
                let t = std::time::Instant::now();
                let (user, system, faults) = cpu_ms();
                let (errors, _) = kept.check(&path, &text, &opts);
                eprintln!(
                    "check {i}: {:.1} ms ({} ms user, {} ms system), {} MiB, {} page faults, {} errors, {:?}",
                    t.elapsed().as_secs_f64() * 1e3,
                    cpu_ms().0 - user,
                    cpu_ms().1 - system,
                    resident_mib(),
                    cpu_ms().2 - faults,
                    errors.len(),
                    kept.last
                );
            }
            // Exit without freeing the kept evaluation: a profile of the
            // checks should not show its teardown.
            if std::env::var_os("NIXCFG_PROFILE").is_none() {
                std::process::exit(0);
            }
        })
        .expect("thread")
        .join()
        .expect("no panic");
}

/// This thread's user and system CPU time in ms (10 ms steps; steadier
/// than the wall clock on a shared machine) and its page faults.
fn cpu_ms() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let field = |n: usize| -> u64 {
        let value = rest.split_whitespace().nth(n).and_then(|f| f.parse().ok());
        value.unwrap_or(0)
    };
    (field(11) * 10, field(12) * 10, field(7))
}

/// The process's resident memory in MiB.
fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kib.unwrap_or(0) / 1024
}
