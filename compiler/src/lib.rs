//! nixcfg-compiler: the Nix front end (syntax, lowering, evaluation) that
//! every nixcfg command stands on. See `docs/ARCHITECTURE.md` for the map.

pub mod diagnostic;
pub mod eval;
pub mod modules;
pub mod source;
pub mod syntax;
