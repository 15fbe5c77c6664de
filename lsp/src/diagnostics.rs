//! Diagnostics on open and on every change: the analysis of `nixcfg
//! check` (syntax, scopes, lints; options, types and assertions for a
//! `configuration.nix`), run on a worker thread. A newer version of a
//! document replaces an older one waiting; results of a stale version are
//! dropped.

use crate::documents::{path_of, position, Documents};
use crossbeam_channel::Sender;
use lsp_server::{Message, Notification};
use lsp_types::notification::Notification as _;
use lsp_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, PublishDiagnosticsParams, Range, Uri,
};
use nixcfg_compiler::diagnostic::Severity;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

struct Job {
    uri: Uri,
    version: i32,
    text: String,
    overlays: HashMap<PathBuf, String>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    stopped: bool,
    /// The document being analysed, and the flag that cancels it.
    running: Option<(Uri, Arc<std::sync::atomic::AtomicBool>)>,
}

/// How long the evaluation of one version may take
/// (`NIXCFG_LSP_TIME_BUDGET_MS`, default 10 s).
fn time_budget() -> std::time::Duration {
    let ms = std::env::var("NIXCFG_LSP_TIME_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    std::time::Duration::from_millis(ms)
}

/// Whether whole checks reuse the submodule instances of the check
/// before (`nixcfg_compiler::incremental`); `NIXCFG_LSP_REUSE=0` turns it
/// off. On the benchmark's configuration (docs/benchmarks.md) it makes the
/// whole check's median 8× faster and its p95 4×, at up to three and a
/// half times the memory: a kept evaluation holds the cycles of every
/// check since, and a fresh one is made beside it once it has grown
/// (`generations`).
fn reuse_instances() -> bool {
    std::env::var_os("NIXCFG_LSP_REUSE").is_none_or(|v| v != "0")
}

/// The files each configuration's last evaluation read (by the
/// configuration's URI): a change to one of them re-evaluates it.
type ReadFiles = Arc<Mutex<HashMap<Uri, Vec<PathBuf>>>>;

pub struct Publisher {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    read_files: ReadFiles,
    sender: Sender<Message>,
    /// The quick fixes of each document's last analysis.
    pub actions: crate::actions::Actions,
}

impl Publisher {
    pub fn new(
        sender: Sender<Message>,
        declared: Arc<nixcfg_compiler::modules::static_check::DeclaredOptions>,
    ) -> Publisher {
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let q = queue.clone();
        let out = sender.clone();
        let actions = crate::actions::Actions::default();
        let acts = actions.clone();
        let read_files = ReadFiles::default();
        let read = read_files.clone();
        std::thread::Builder::new()
            .name("nixcfg-lsp-analysis".into())
            .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
            .spawn(move || {
                nixcfg_compiler::eval::run::enter_eval_thread();
                worker(q, out, acts, declared, read)
            })
            .expect("spawning the analysis thread");
        Publisher {
            queue,
            read_files,
            sender,
            actions,
        }
    }

    /// Analyses `uri` anew, and every open configuration whose last
    /// evaluation read it.
    pub fn schedule(&self, uri: &Uri, docs: &Documents) {
        self.schedule_one(uri, docs);
        let Some(path) = path_of(uri.as_str()) else {
            return;
        };
        let readers: Vec<Uri> = self
            .read_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(root, files)| *root != uri && files.contains(&path))
            .map(|(root, _)| root.clone())
            .collect();
        for root in readers {
            self.schedule_one(&root, docs);
        }
    }

    fn schedule_one(&self, uri: &Uri, docs: &Documents) {
        let Some(doc) = docs.get(uri) else { return };
        let (lock, cv) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        q.jobs.retain(|j| j.uri != *uri);
        // A newer version cancels the analysis of an older one.
        if let Some((running, flag)) = &q.running {
            if running == uri {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        q.jobs.push(Job {
            uri: uri.clone(),
            version: doc.version,
            text: doc.text.clone(),
            overlays: docs.overlays(),
        });
        cv.notify_one();
    }

    pub fn clear(&self, uri: &Uri) {
        publish(&self.sender, uri.clone(), None, Vec::new());
    }

    pub fn stop(&self) {
        let (lock, cv) = &*self.queue;
        lock.lock().unwrap_or_else(|e| e.into_inner()).stopped = true;
        cv.notify_one();
    }
}

pub(crate) fn publish(
    sender: &Sender<Message>,
    uri: Uri,
    version: Option<i32>,
    diagnostics: Vec<Diagnostic>,
) {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let _ = sender.send(Message::Notification(Notification::new(
        lsp_types::notification::PublishDiagnostics::METHOD.to_string(),
        params,
    )));
}

fn worker(
    queue: Arc<(Mutex<Queue>, Condvar)>,
    sender: Sender<Message>,
    actions: crate::actions::Actions,
    declared: Arc<nixcfg_compiler::modules::static_check::DeclaredOptions>,
    read_files: ReadFiles,
) {
    let mut reusable = None;
    // The threads that keep the evaluator of the last whole check, whose
    // submodule instances the next check reuses where the edit allows it.
    let mut generations = crate::generations::Generations::default();
    let mut imported = crate::imported::ImportedFiles::default();
    // The last evaluation of each configuration.
    let mut last_evaluated: HashMap<String, Evaluated> = HashMap::new();
    // How long the last whole check in a kept evaluator took.
    let mut last_kept: Option<std::time::Duration> = None;
    loop {
        let job = {
            let (lock, cv) = &*queue;
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            while q.jobs.is_empty() && !q.stopped {
                q = cv.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            if q.stopped {
                return;
            }
            let job = q.jobs.remove(0);
            let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
            q.running = Some((job.uri.clone(), flag.clone()));
            (job, flag)
        };
        let (mut job, cancel) = job;
        let Some(path) = path_of(job.uri.as_str()) else {
            continue;
        };
        let evaluate = path.file_name().is_some_and(|n| n == "configuration.nix");
        // The whole check started in a kept generation: whether it runs in
        // the evaluator of the check before.
        let mut whole: Option<bool> = None;
        let started = std::time::Instant::now();
        let is_configuration = evaluate;
        let opts = nixcfg_compiler::eval::EvalOptions {
            overlays: Arc::new(std::mem::take(&mut job.overlays)),
            cancel: Some(cancel),
            time_budget: Some(time_budget()),
            ..Default::default()
        };
        let config = nixcfg_compiler::lint::Config::default();
        let run = |evaluate: bool, reusable: &mut Option<nixcfg_compiler::eval::Evaluator>| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Without evaluation, definitions are checked against
                // the declared options (for a configuration.nix, until
                // its evaluation says more).
                nixcfg_compiler::analysis::analyze(
                    &path,
                    &job.text,
                    evaluate,
                    &config,
                    None,
                    &opts,
                    reusable,
                    (!evaluate && is_configuration).then_some(&*declared),
                )
            }))
            .ok()
        };
        let stale = || {
            let (lock, _) = &*queue;
            lock.lock()
                .unwrap_or_else(|e| e.into_inner())
                .jobs
                .iter()
                .any(|j| j.uri == job.uri)
        };
        if evaluate {
            let last = last_evaluated.get(job.uri.as_str());
            let edit = last.map(|l| crate::edits::changed_lines(&l.text, &job.text));
            // The last evaluation's findings on the lines not edited since.
            let kept = match (&edit, last) {
                (Some(e), Some(l)) => crate::edits::keep_outside(&l.diags, e),
                _ => Vec::new(),
            };
            // Edits since then in the files it read that are open here.
            let read = read_files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&job.uri)
                .cloned()
                .unwrap_or_default();
            let file_edits: Vec<(PathBuf, crate::edits::LineEdit)> = match last {
                Some(l) => read
                    .iter()
                    .filter(|p| **p != path)
                    .filter_map(|p| {
                        let (before, now) = (l.overlays.get(p)?, opts.overlays.get(p)?);
                        (before != now)
                            .then(|| (p.clone(), crate::edits::changed_lines(before, now)))
                    })
                    .collect(),
                None => Vec::new(),
            };
            // The edited lines of each module, evaluated alone first.
            let mut regions: Vec<(String, std::ops::Range<usize>)> = Vec::new();
            if let Some(e) = &edit {
                regions.push((job.text.clone(), e.new.clone()));
            }
            for (p, e) in &file_edits {
                regions.push((opts.overlays[p].clone(), e.new.clone()));
            }
            regions.retain(|(_, r)| !r.is_empty());
            // The whole check starts at once, beside the first analysis.
            // When it runs in the kept evaluator and the last such check
            // was quick, it is about as quick as the edit's own
            // consequences would be: those are computed only otherwise.
            let (lints, lints_received) = std::sync::mpsc::channel();
            whole = if reuse_instances() {
                generations.begin(&path, &job.text, &opts, lints_received)
            } else {
                None
            };
            let quick = whole == Some(true) && last_kept.is_some_and(|t| t < QUICK_WHOLE_CHECK);
            let focus = (!regions.is_empty()
                && !quick
                && regions.iter().all(|(_, r)| r.len() <= FOCUSED_LINES))
            .then_some(regions);
            let held = generations.hold_standby();
            let go_on = std::thread::scope(|scope| {
                // The evaluated consequences of the edit alone (the options
                // it defines) are computed beside what needs no
                // evaluation; both come before the whole configuration's.
                let (text, at, options) = (&job.text, &path, &opts);
                let focused = focus.and_then(|regions| {
                    std::thread::Builder::new()
                        .name("nixcfg-lsp-focused".into())
                        .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
                        .spawn_scoped(scope, move || {
                            nixcfg_compiler::eval::run::enter_eval_thread();
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                nixcfg_compiler::analysis::analyze_focused(at, &regions, options)
                                    .map(|a| convert(&a, text, at))
                            }))
                            .ok()
                            .flatten()
                        })
                        .ok()
                });
                // Syntax, scopes, lints: at once.
                let Some(fast) = run(false, &mut reusable) else {
                    reusable = None;
                    return false;
                };
                // The whole check needs not lint the same text again.
                let _ = lints.send(fast.findings.clone());
                if stale() {
                    return false;
                }
                let syntax_errors = fast
                    .diags
                    .iter()
                    .any(|(d, _)| d.code.starts_with("nix::parse"));
                let fast = convert(&fast, &job.text, &path);
                let (fast_out, _) = publish_converted(&sender, &actions, &job, fast, &kept);
                if syntax_errors {
                    // The evaluation would only repeat the parse error.
                    return false;
                }
                if let Some(focused) = focused.and_then(|h| h.join().ok().flatten()) {
                    if stale() {
                        return false;
                    }
                    let mut extra = fast_out;
                    extra.extend(kept);
                    let (_, mut others) =
                        publish_converted(&sender, &actions, &job, focused, &extra);
                    for (p, e) in &file_edits {
                        let file = p.display().to_string();
                        let found = others.remove(&file).unwrap_or_default();
                        imported.set_focused(&sender, &file, e, found);
                    }
                    notify(&sender, &job, "nixcfg/diagnosticsFocused");
                }
                true
            });
            // Sent or not: a check waiting for them goes on.
            drop(lints);
            drop(held);
            if !go_on {
                if whole.is_some() {
                    // Its result is of no use, but it is waited for.
                    let _ = generations.end(&path, &job.text, &opts);
                }
                if !stale() {
                    last_evaluated.remove(job.uri.as_str());
                    complete(&sender, &job);
                }
                continue;
            }
        }
        let converted = if let Some(kept) = whole {
            let c = generations.end(&path, &job.text, &opts);
            if kept && c.is_some() {
                last_kept = Some(started.elapsed());
            }
            c
        } else {
            run(evaluate, &mut reusable).map(|a| convert(&a, &job.text, &path))
        };
        let Some(converted) = converted else {
            reusable = None;
            continue;
        };
        // A newer version waiting makes this result stale.
        if stale() {
            continue;
        }
        let extra = if evaluate {
            let read: Vec<PathBuf> = converted.read.iter().map(PathBuf::from).collect();
            read_files
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(job.uri.clone(), read);
            Vec::new()
        } else {
            imported.set_own(&path.display().to_string(), converted.out.clone())
        };
        let (out, others) = publish_converted(&sender, &actions, &job, converted, &extra);
        if evaluate {
            last_evaluated.insert(
                job.uri.as_str().to_string(),
                Evaluated {
                    text: job.text.clone(),
                    diags: out,
                    overlays: opts.overlays.clone(),
                },
            );
        }
        imported.set_evaluated(&sender, job.uri.as_str(), others);
        complete(&sender, &job);
    }
}

/// A whole check in the kept evaluator this quick makes the focused
/// diagnostics of an edit not worth their core (on two, they would slow
/// the whole check down by a third).
const QUICK_WHOLE_CHECK: std::time::Duration = std::time::Duration::from_millis(600);

/// Tells the client that the diagnostics of this version are final (the
/// evaluation, if any, is done): `nixcfg/diagnosticsComplete`.
fn complete(sender: &Sender<Message>, job: &Job) {
    notify(sender, job, "nixcfg/diagnosticsComplete");
}

/// A notification about the diagnostics of a document's version:
/// `nixcfg/diagnosticsFocused` when those of the edited definitions are
/// evaluated, `nixcfg/diagnosticsComplete` when all are.
fn notify(sender: &Sender<Message>, job: &Job, method: &str) {
    let _ = sender.send(Message::Notification(Notification::new(
        method.to_string(),
        serde_json::json!({ "uri": job.uri.as_str(), "version": job.version }),
    )));
}

/// A configuration's last whole evaluation: the text it was made for, its
/// diagnostics of that text, and the editor's buffers it read.
struct Evaluated {
    text: String,
    diags: Vec<Diagnostic>,
    overlays: Arc<HashMap<PathBuf, String>>,
}

/// Edits of more lines than this go straight to the whole evaluation.
const FOCUSED_LINES: usize = 200;

/// An analysis's diagnostics as the client sees them: those of the
/// document (with their quick fixes) and those of imported files, by file.
pub(crate) struct Converted {
    out: Vec<Diagnostic>,
    fixes: Vec<crate::actions::QuickFix>,
    others: HashMap<String, Vec<Diagnostic>>,
    /// The user's files the analysis read (absolute paths, each once).
    read: Vec<String>,
}

pub(crate) fn convert(
    analysis: &nixcfg_compiler::analysis::FileAnalysis,
    text: &str,
    path: &std::path::Path,
) -> Converted {
    let name = path.display().to_string();
    let mut c = Converted {
        out: Vec::new(),
        fixes: Vec::new(),
        others: HashMap::new(),
        read: analysis
            .sources
            .files()
            .filter(|f| f.name.starts_with('/') && !f.name.contains("/embedded-"))
            .map(|f| f.name.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    for (d, fix) in &analysis.diags {
        // Each diagnostic is shown in the file it is about.
        let Some(span) = d.span else {
            c.out.push(to_lsp(d, Range::default()));
            continue;
        };
        let file = analysis.sources.get(span.file);
        if file.name != name {
            if file.name.starts_with('/') && !file.name.contains("/embedded-") {
                let range = Range {
                    start: position(&file.text, span.start as usize),
                    end: position(&file.text, span.end.max(span.start) as usize),
                };
                c.others
                    .entry(file.name.clone())
                    .or_default()
                    .push(to_lsp(d, range));
            }
            continue;
        }
        // An earlier version's span (of an instance reused from the
        // evaluation before) is placed in that version's text: the lines
        // it names are unchanged since.
        let at = &file.text;
        let range = Range {
            start: position(at, span.start as usize),
            end: position(at, span.end.max(span.start) as usize),
        };
        if let Some(a) = crate::actions::quick_fix(text, d, fix.as_ref(), range) {
            c.fixes.push(a);
        }
        c.out.push(to_lsp(d, range));
    }
    c
}

/// Publishes the diagnostics of the document itself (with `extra` ones
/// not already among them) and sets its quick fixes; returns what was
/// published and the diagnostics of imported files, by file.
fn publish_converted(
    sender: &Sender<Message>,
    actions: &crate::actions::Actions,
    job: &Job,
    c: Converted,
    extra: &[Diagnostic],
) -> (Vec<Diagnostic>, HashMap<String, Vec<Diagnostic>>) {
    let Converted {
        mut out,
        fixes,
        others,
        ..
    } = c;
    for d in extra {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    actions.set(&job.uri, fixes);
    publish(sender, job.uri.clone(), Some(job.version), out.clone());
    (out, others)
}

fn to_lsp(d: &nixcfg_compiler::diagnostic::Diagnostic, range: Range) -> Diagnostic {
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push('\n');
        message.push_str(h);
    }
    Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("nixcfg".into()),
        message,
        ..Default::default()
    }
}
