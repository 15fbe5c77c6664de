fn main() -> std::process::ExitCode {
    tune_allocator();
    nixcfg::run(std::env::args())
}

/// mimalloc's default of committing arena memory piecemeal cost more
/// system time than the evaluation itself on configurations of a few
/// hundred MiB. Its options are read from the environment when the
/// process starts, before `main`, so the process re-executes itself once
/// with them set (unless the user set them).
fn tune_allocator() {
    use std::os::unix::process::CommandExt;
    const OPTIONS: [(&str, &str); 2] = [
        ("MIMALLOC_ARENA_EAGER_COMMIT", "1"),
        ("MIMALLOC_PURGE_DELAY", "-1"),
    ];
    if std::env::var_os("NIXCFG_ALLOCATOR_TUNED").is_some()
        || OPTIONS.iter().any(|(k, _)| std::env::var_os(k).is_some())
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
    for (k, v) in OPTIONS {
        cmd.env(k, v);
    }
    // `exec` only returns on failure; then run as we are.
    let _ = cmd.exec();
}

// The evaluator allocates many small, short-lived objects; mimalloc serves
// them markedly faster than glibc's allocator. Requests of ordinary
// alignment take mimalloc's plain (fast) path.
struct Allocator;

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

#[global_allocator]
static GLOBAL: Allocator = Allocator;
