//! `NIXCFG_PROFILE=1`: calls, inclusive and self time per Nix function and
//! per builtin, printed when the evaluator is dropped. Self time is what
//! is left after the calls made inside (a forced thunk counts towards the
//! call that forced it), so a flat library shows where its work is.

use crate::source::Span;
use rustc_hash::FxHashMap;
use std::io::Write;
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Callee {
    Lambda(Span),
    Builtin(&'static str),
}

#[derive(Default, Clone, Copy)]
struct Totals {
    calls: u64,
    inclusive_ns: u64,
    self_ns: u64,
}

#[derive(Default)]
pub(crate) struct Profile {
    totals: FxHashMap<Callee, Totals>,
    /// Per open call: the time spent in the calls it made.
    children_ns: Vec<u64>,
}

impl Profile {
    pub(crate) fn from_env() -> Option<Box<Profile>> {
        std::env::var_os("NIXCFG_PROFILE").map(|_| Box::default())
    }

    pub(crate) fn enter(&mut self) -> Instant {
        self.children_ns.push(0);
        Instant::now()
    }

    pub(crate) fn leave(&mut self, callee: Callee, start: Instant) {
        let total = start.elapsed().as_nanos() as u64;
        let children = self.children_ns.pop().unwrap_or(0);
        if let Some(parent) = self.children_ns.last_mut() {
            *parent += total;
        }
        let t = self.totals.entry(callee).or_default();
        t.calls += 1;
        t.inclusive_ns += total;
        t.self_ns += total.saturating_sub(children);
    }

    /// The costliest callees by self time (`NIXCFG_PROFILE=N`: N of them,
    /// otherwise 40); `name` places a function.
    pub(crate) fn print(
        &self,
        out: &mut dyn Write,
        name: &dyn Fn(Span) -> String,
    ) -> std::io::Result<()> {
        let mut rows: Vec<_> = self.totals.iter().collect();
        rows.sort_by_key(|(_, t)| std::cmp::Reverse(t.self_ns));
        writeln!(out, "   calls    self µs  incl. µs  function")?;
        let n = std::env::var("NIXCFG_PROFILE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40);
        for (callee, t) in rows.into_iter().take(n) {
            let place = match callee {
                Callee::Lambda(span) => name(*span),
                Callee::Builtin(b) => format!("builtins.{b}"),
            };
            writeln!(
                out,
                "{:>8} {:>10} {:>9}  {place}",
                t.calls,
                t.self_ns / 1000,
                t.inclusive_ns / 1000
            )?;
        }
        Ok(())
    }
}
