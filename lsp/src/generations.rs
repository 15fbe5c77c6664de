//! Whole checks of a configuration, each in a thread that keeps its
//! evaluator from one check to the next (`IncrementalCheck`: reuse of the
//! submodule instances an edit did not touch).
//!
//! A kept evaluation holds the cycles of every check since it started, so
//! once its heap has grown to twice a fresh one's it must start afresh —
//! and a fresh check of a large configuration takes seconds. Rather than
//! make the next edit wait for that, a second generation starts afresh in
//! the background on the same version while the first goes on serving the
//! edits that follow. The first check after the new generation is done
//! runs in it (its evaluation is of an older version: the edits since
//! are reused like any other), and the old generation frees its heap in
//! its own thread, which then waits to be the next standby: a thread
//! reuses the memory it freed itself sooner than another's.

use crate::diagnostics::{convert, Converted};
use crate::reserve::Reserve;
use nixcfg_compiler::eval::EvalOptions;
use nixcfg_compiler::incremental::IncrementalCheck;
use nixcfg_compiler::lint::Finding;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::Arc;

struct Request {
    path: PathBuf,
    text: String,
    opts: EvalOptions,
    /// The lint findings of the text, sent by the first analysis, which
    /// computes them beside the check (not sent: computed here).
    lints: Option<mpsc::Receiver<Vec<Finding>>>,
}

/// After a fresh check, the same check again in its evaluator. The first
/// kept check after a fresh one names some values differently in its
/// fingerprints (evaluated now, unevaluated then), so it computes again
/// what it could have reused (2.5 s against 0.5 s on the benchmark's
/// configuration); the checks after it match. Done before the fresh
/// check answers (0.7–1.5 s more, on a check of 5–10 s), the edit after
/// it is as quick as any other: a standby's answer makes it take over,
/// and the first edit after a document opens no longer settles it
/// itself (2.4 s). A newer version cancels it like the check.
fn settle(kept: &mut IncrementalCheck, r: &Request) {
    if kept.last.kept {
        return;
    }
    let t = std::time::Instant::now();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kept.check(&r.path, &r.text, &r.opts)
    }));
    if std::env::var_os("NIXCFG_REUSE_STATS").is_some() {
        eprintln!("nixcfg: settled a fresh check in {:?}", t.elapsed());
    }
}

enum Message {
    Check(Request),
    /// Free the kept evaluation (no response).
    Reset,
}

/// What a generation tells of a check: whether it keeps its evaluator
/// (before it runs), then its result.
enum Reply {
    Started { kept: bool },
    Done(Response),
}

struct Response {
    /// `None`: the check panicked (its evaluator is gone).
    converted: Option<Converted>,
    /// It ran in the evaluator of the check before.
    kept: bool,
    /// Its heap has grown to twice a fresh evaluation's.
    grown: bool,
}

/// One thread and the evaluator it keeps.
struct Generation {
    requests: mpsc::Sender<Message>,
    responses: mpsc::Receiver<Reply>,
}

impl Generation {
    fn spawn(hold: Arc<AtomicBool>) -> Option<Generation> {
        let (requests, inbox) = mpsc::channel::<Message>();
        let (outbox, responses) = mpsc::channel::<Reply>();
        std::thread::Builder::new()
            .name("nixcfg-lsp-check".into())
            .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
            .spawn(move || {
                nixcfg_compiler::eval::run::enter_eval_thread();
                let fresh = || {
                    let mut c = IncrementalCheck::default();
                    c.keep_grown = true;
                    c
                };
                let mut kept = fresh();
                let config = nixcfg_compiler::lint::Config::default();
                // Ends when the generation is dropped (its sender with it).
                for m in inbox {
                    let mut r = match m {
                        Message::Check(r) => r,
                        Message::Reset => {
                            let t = std::time::Instant::now();
                            // Freed in the background: it gives way to the
                            // diagnostics an edit waits for.
                            kept.free_pausing(hold.clone());
                            if std::env::var_os("NIXCFG_REUSE_STATS").is_some() {
                                eprintln!("nixcfg: freed a generation in {:?}", t.elapsed());
                            }
                            continue;
                        }
                    };
                    // Whether it runs in the kept evaluator, told first.
                    let kept_evaluator =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            kept.prepare(&r.path, &r.text, &r.opts)
                        }))
                        .unwrap_or(false);
                    // Beside a fresh check (and its settling), memory for
                    // the checks after it (see `reserve`).
                    let reserve = (!kept_evaluator).then(Reserve::start).flatten();
                    if outbox
                        .send(Reply::Started {
                            kept: kept_evaluator,
                        })
                        .is_err()
                    {
                        break;
                    }
                    let converted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let lints = r.lints.take();
                        let analysis = nixcfg_compiler::analysis::analyze_configuration(
                            &r.path,
                            &r.text,
                            &config,
                            &r.opts,
                            &mut kept,
                            || lints.and_then(|l| l.recv().ok()),
                        );
                        convert(&analysis, &r.text, &r.path)
                    }))
                    .ok();
                    if converted.is_none() {
                        kept = fresh();
                    }
                    let response = Response {
                        converted,
                        kept: kept.last.kept,
                        grown: kept.last.grown,
                    };
                    settle(&mut kept, &r);
                    if outbox.send(Reply::Done(response)).is_err() {
                        break;
                    }
                    drop(reserve);
                }
            })
            .ok()?;
        Some(Generation {
            requests,
            responses,
        })
    }

    fn send(
        &self,
        path: &Path,
        text: &str,
        opts: EvalOptions,
        lints: Option<mpsc::Receiver<Vec<Finding>>>,
    ) -> bool {
        let r = Request {
            path: path.to_path_buf(),
            text: text.to_string(),
            opts,
            lints,
        };
        self.requests.send(Message::Check(r)).is_ok()
    }

    /// The result of the check sent last (its `Started` skipped).
    fn result(&self) -> Option<Response> {
        loop {
            match self.responses.recv().ok()? {
                Reply::Started { .. } => {}
                Reply::Done(r) => return Some(r),
            }
        }
    }
}

/// The generation that serves checks, and the one starting afresh.
#[derive(Default)]
pub(crate) struct Generations {
    current: Option<Generation>,
    /// Started afresh in the background; the flag abandons it.
    standby: Option<(Generation, Arc<AtomicBool>)>,
    /// A thread that served before, its evaluation freed: the next standby.
    spare: Option<Generation>,
    /// Set while the diagnostics an edit waits for first are computed:
    /// the standby's evaluation waits meanwhile (on two cores it took the
    /// one they need).
    hold: Arc<AtomicBool>,
}

/// Holds the standby's evaluation while it lives.
pub(crate) struct Held<'a>(&'a AtomicBool);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Generations {
    /// Starts the whole check of `path` (text `text`) in the current
    /// generation; `end` gives its result. Returns whether it runs in the
    /// kept evaluator (so reusing what the edit did not touch), `None`
    /// if it could not start. `lints`: where the text's lint findings
    /// will come from (the check waits for them when it is done).
    pub(crate) fn begin(
        &mut self,
        path: &Path,
        text: &str,
        opts: &EvalOptions,
        lints: mpsc::Receiver<Vec<Finding>>,
    ) -> Option<bool> {
        self.take_over_when_ready();
        if self.current.is_none() {
            self.current = Generation::spawn(self.hold.clone());
        }
        let current = self.current.as_ref()?;
        if !current.send(path, text, opts.clone(), Some(lints)) {
            self.current = None;
            return None;
        }
        match current.responses.recv() {
            Ok(Reply::Started { kept }) => Some(kept),
            _ => {
                self.current = None;
                None
            }
        }
    }

    /// The result of the check `begin` started; `None` if it panicked.
    pub(crate) fn end(&mut self, path: &Path, text: &str, opts: &EvalOptions) -> Option<Converted> {
        let response = self.current.as_ref().and_then(Generation::result);
        let Some(response) = response.filter(|r| r.converted.is_some()) else {
            self.current = None;
            return None;
        };
        if !response.kept {
            // It started afresh itself: a standby is of no more use.
            self.abandon_standby();
        }
        if response.grown && self.standby.is_none() {
            self.start_standby(path, text, opts);
        }
        response.converted
    }

    /// Holds the standby's evaluation until the guard is dropped.
    pub(crate) fn hold_standby(&self) -> Held<'_> {
        self.hold.store(true, Ordering::Relaxed);
        Held(&self.hold)
    }

    /// A standby done with its fresh check becomes the current generation.
    fn take_over_when_ready(&mut self) {
        let Some((standby, _)) = &self.standby else {
            return;
        };
        let reply = loop {
            match standby.responses.try_recv() {
                Ok(Reply::Started { .. }) => {}
                Ok(Reply::Done(r)) => break Ok(r),
                Err(e) => break Err(e),
            }
        };
        match reply {
            Err(TryRecvError::Empty) => {}
            Ok(r) if r.converted.is_some() => {
                let old = std::mem::replace(&mut self.current, self.standby.take().map(|(g, _)| g));
                // It frees its heap in its own thread, then waits.
                self.spare = old.filter(|g| g.requests.send(Message::Reset).is_ok());
            }
            Ok(_) | Err(TryRecvError::Disconnected) => self.standby = None,
        }
    }

    fn start_standby(&mut self, path: &Path, text: &str, opts: &EvalOptions) {
        let Some(standby) = self
            .spare
            .take()
            .or_else(|| Generation::spawn(self.hold.clone()))
        else {
            // No thread to spare: the grown one starts afresh itself.
            self.current = None;
            return;
        };
        let abandon = Arc::new(AtomicBool::new(false));
        let mut opts = opts.clone();
        // Not cancelled by newer versions: it is not checking for them;
        // and, not in anyone's way, given more time.
        opts.cancel = Some(abandon.clone());
        opts.time_budget = opts.time_budget.map(|b| b * 3);
        opts.pause = Some(self.hold.clone());
        if standby.send(path, text, opts, None) {
            self.standby = Some((standby, abandon));
        }
    }

    fn abandon_standby(&mut self) {
        if let Some((_, abandon)) = self.standby.take() {
            abandon.store(true, Ordering::Relaxed);
        }
    }
}

impl Drop for Generations {
    fn drop(&mut self) {
        self.abandon_standby();
    }
}
