//! Memory made ready beside a fresh check, for the checks after it.
//!
//! The first touch of a page costs far more than its reuse where the
//! hypervisor backs a VM's memory lazily and takes back what the guest
//! frees (virtio-balloon free page reporting; on the benchmark machine
//! about 2.3 ms per MiB against 0.1–0.25). The language server grows
//! into new memory for a long while after it opens a configuration: each
//! kept check leaves its cycles (about 20 MiB on the benchmark's
//! configuration, about 45 ms of page faults each), and the first standby
//! generation needs as much again as the fresh check did. So while the
//! process's first fresh check runs, a helper thread on the other core
//! touches memory in step with it (`factor()` times what the process
//! grew by) and frees it when the check is done: the allocator keeps freed
//! memory (`MIMALLOC_PURGE_DELAY=-1`), and the checks after it find
//! pages that are already there. Where memory is backed eagerly the helper costs
//! about a tenth of a second per GiB, off the check's path, and memory
//! the server would have reached later anyway.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Memory touched per MiB the process grows by during a fresh check: the
/// kept checks' growth until the next standby (about half a fresh
/// check's heap) and that standby's fresh check and settling.
/// `NIXCFG_LSP_RESERVE=N` sets it (0: no reserve).
fn factor() -> usize {
    std::env::var("NIXCFG_LSP_RESERVE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// Touched and held in blocks of this size: small enough that the
/// allocator reuses them for small objects' pages once freed.
const BLOCK: usize = 256 << 10;

/// Never hold more than this share of the memory available when the
/// check starts.
const SHARE_OF_AVAILABLE: usize = 3;

/// The helper of one fresh check; dropping it frees what it touched.
pub(crate) struct Reserve {
    stop: Arc<AtomicBool>,
    helper: Option<std::thread::JoinHandle<()>>,
}

/// Whether a reserve was made: only beside the process's first fresh
/// check. A later one (a standby generation's) runs in the memory the
/// generation before freed, kept by the allocator.
static MADE: AtomicBool = AtomicBool::new(false);

impl Reserve {
    /// Starts touching memory in step with the process's growth, if no
    /// reserve was made before.
    pub(crate) fn start() -> Option<Reserve> {
        let factor = factor();
        if factor == 0 || MADE.swap(true, Ordering::Relaxed) {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let helper = std::thread::Builder::new()
            .name("nixcfg-lsp-reserve".into())
            .spawn(move || touch_in_step(&flag, factor))
            .ok();
        Some(Reserve { stop, helper })
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.helper.take() {
            let _ = h.join();
        }
    }
}

fn touch_in_step(stop: &AtomicBool, factor: usize) {
    let (Some(base), Some(available)) = (resident_bytes(), available_bytes()) else {
        return;
    };
    let cap = available / SHARE_OF_AVAILABLE;
    let t = std::time::Instant::now();
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let held = blocks.len() * BLOCK;
        let grown = resident_bytes().unwrap_or(base).saturating_sub(base + held);
        let want = (grown * factor).min(cap);
        if held >= want {
            std::thread::sleep(std::time::Duration::from_millis(5));
            continue;
        }
        // A few MiB at a time: a stop waits for at most one batch.
        for _ in 0..(want - held).div_ceil(BLOCK).min(16) {
            blocks.push(touched_block());
        }
    }
    if std::env::var_os("NIXCFG_REUSE_STATS").is_some() {
        eprintln!(
            "nixcfg: reserved {} MiB beside a fresh check in {:?}",
            (blocks.len() * BLOCK) >> 20,
            t.elapsed()
        );
    }
}

/// A block whose every page has been written.
fn touched_block() -> Vec<u8> {
    let mut b: Vec<u8> = Vec::with_capacity(BLOCK);
    let p = b.as_mut_ptr();
    for i in (0..BLOCK).step_by(4096) {
        // SAFETY: inside the block's capacity; the bytes are never read.
        unsafe { p.add(i).write_volatile(0) };
    }
    b
}

fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn available_bytes() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
