//! nixcfg-compiler: the Nix front end (syntax, lowering, evaluation) that
//! every nixcfg command stands on. See `docs/ARCHITECTURE.md` for the map.

// Diagnostics are returned by value: they are the error path, not hot.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod diagnostic;
pub mod eval;
pub mod incremental;
pub mod lint;
pub mod modules;
pub mod source;
pub mod syntax;
pub mod system;
