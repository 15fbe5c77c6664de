//! The process's allocator: mimalloc, tuned for the evaluator's heaps.

/// mimalloc's default of committing arena memory piecemeal cost more
/// system time than the evaluation itself on configurations of a few
/// hundred MiB. Whether it backs its arenas with transparent huge pages
/// (`huge_pages`) depends on the command. One-shot commands that
/// evaluate a whole configuration go without: on those heaps (GiBs for
/// large ones) the kernel may compact memory to make them, and one
/// `nixcfg check` of 1,900 users and 100 containers spent 5–6 s in the
/// system with them against 1–1.6 s without (on another VM the opposite
/// was measured: 6.8 s with, 10.6 s without; this stays until a machine
/// shows it steadily). The language server goes with them: it keeps its
/// heap and grows it by each check's new objects, and a page fault per
/// 4 KiB of them cost more than compaction (500 replayed edits, two
/// runs each, interleaved: final diagnostics p50 175–179 ms, p95
/// 237–253 ms with them; 191–220 ms, 260–303 ms without). Small
/// evaluations gain from them too (`nix-instantiate` of
/// module-merge-50k: 10 % slower without).
/// The options are read from the environment when the process starts,
/// before `main`, so the process re-executes itself once with them set
/// (unless the user set them).
pub fn tune(huge_pages: bool) {
    use std::os::unix::process::CommandExt;
    let thp = if huge_pages { "1" } else { "0" };
    let options: [(&str, &str); 3] = [
        ("MIMALLOC_ARENA_EAGER_COMMIT", "1"),
        ("MIMALLOC_PURGE_DELAY", "-1"),
        ("MIMALLOC_ALLOW_THP", thp),
    ];
    if std::env::var_os("NIXCFG_ALLOCATOR_TUNED").is_some()
        || options.iter().any(|(k, _)| std::env::var_os(k).is_some())
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env("NIXCFG_ALLOCATOR_TUNED", "1");
    if let Some(arg0) = std::env::args_os().next() {
        cmd.arg0(arg0);
    }
    for (k, v) in options {
        cmd.env(k, v);
    }
    // `exec` only returns on failure; then run as we are.
    let _ = cmd.exec();
}

// The evaluator allocates many small, short-lived objects; mimalloc serves
// them markedly faster than glibc's allocator. Requests of ordinary
// alignment take mimalloc's plain (fast) path.
pub struct Allocator;

const PLAIN_ALIGN: usize = 16;

unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: mimalloc's functions follow the GlobalAlloc contract.
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_malloc(layout.size()) as *mut u8
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_zalloc(layout.size()) as *mut u8
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr as *mut std::ffi::c_void) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= PLAIN_ALIGN {
                libmimalloc_sys::mi_realloc(ptr as *mut std::ffi::c_void, new_size) as *mut u8
            } else {
                libmimalloc_sys::mi_realloc_aligned(
                    ptr as *mut std::ffi::c_void,
                    new_size,
                    layout.align(),
                ) as *mut u8
            }
        }
    }
}
