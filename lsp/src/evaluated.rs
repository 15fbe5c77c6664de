//! What the evaluated configuration says about one option (its value and
//! definitions), for hover and for "find references" on an option. The
//! file is evaluated as a module on a big stack, within a time budget.

use crate::documents::Documents;
use nixcfg_compiler::modules::{describe, Configuration, OptionInfo, OptionNode};

/// Time an on-demand evaluation may take before it is given up.
const BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `f` on the configuration `file` belongs to, evaluated with the
/// open documents as overlays, on a big stack, within `BUDGET`.
pub fn with_configuration<T: Send + 'static>(
    file: &std::path::Path,
    docs: &Documents,
    f: impl FnOnce(&mut Configuration) -> Option<T> + Send + 'static,
) -> Option<T> {
    let file = file.to_path_buf();
    let overlays = docs.overlays();
    nixcfg_compiler::eval::run::with_big_stack(move || {
        let opts = nixcfg_compiler::eval::EvalOptions {
            overlays: std::sync::Arc::new(overlays),
            time_budget: Some(BUDGET),
            ..Default::default()
        };
        let mut cfg = Configuration::load(&file, opts, false).ok()?;
        f(&mut cfg)
    })
}

/// The option at `path`: declaration, value and definitions.
pub fn option_info(
    file: &std::path::Path,
    docs: &Documents,
    path: &[String],
) -> Option<OptionInfo> {
    let path = path.to_vec();
    with_configuration(file, docs, move |cfg| match describe(cfg, &path).ok()? {
        OptionNode::Option(info) => Some(*info),
        OptionNode::Group { .. } => None,
    })
}
