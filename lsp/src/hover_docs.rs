//! Documentation of builtins and `lib` functions, for hover and
//! completion: `builtins.map`, a global like `toString`, `lib.mkIf`,
//! `lib.types.attrsOf`, and `lib` names brought in by `with lib;` or
//! `inherit (lib) …` (`mkIf`, `types.str`).

use nixcfg_compiler::eval::builtins::docs::builtin_doc;
use nixcfg_compiler::eval::builtins::GLOBAL;
use nixcfg_compiler::modules::lib_docs::lib_doc;

/// Markdown for the function a dotted name refers to, if it is one.
/// Names without `lib.` are looked up in `lib` only when the file brings
/// its names into scope (`lib_in_scope`).
pub fn function_docs(path: &[String], lib_in_scope: bool) -> Option<String> {
    let first = path.first()?.as_str();
    if first == "builtins" && path.len() == 2 {
        return builtin(&path[1]);
    }
    if path.len() == 1 && GLOBAL.contains(&first) {
        return builtin(first);
    }
    let lib_path = match first {
        "lib" => &path[1..],
        _ if lib_in_scope => path,
        _ => return None,
    };
    if lib_path.is_empty() {
        return None;
    }
    lib(lib_path.to_vec())
}

/// Markdown for `builtins.<name>`.
pub fn builtin(name: &str) -> Option<String> {
    let d = builtin_doc(name)?;
    Some(format!("```nix\nbuiltins.{}\n```\n\n{}\n", d.usage, d.text))
}

fn lib(path: Vec<String>) -> Option<String> {
    // The library is evaluated on a thread of its own, with a big stack,
    // like every evaluation of the server.
    nixcfg_compiler::eval::run::with_big_stack(move || {
        let mut ev =
            nixcfg_compiler::eval::Evaluator::new(nixcfg_compiler::eval::EvalOptions::default());
        let d = lib_doc(&mut ev, &path)?;
        let mut s = format!("```nix\n{}\n```\n", d.usage);
        if !d.text.is_empty() {
            s.push_str(&format!("\n{}\n", d.text));
        }
        if let Some(at) = d.location {
            s.push_str(&format!("\n*Defined in:* {at}\n"));
        }
        Some(s)
    })
}

/// Whether a file brings `lib`'s names into scope.
pub fn lib_in_scope(text: &str) -> bool {
    text.contains("with lib;") || text.contains("inherit (lib)")
}
