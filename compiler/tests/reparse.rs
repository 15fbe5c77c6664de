//! `syntax::reparse` (the tree of an edited text made by parsing again
//! only the binding that holds the edit) gives exactly the tree a whole
//! parse gives, or declines: checked on thousands of one-place edits to
//! the shipped examples and Nix's own language tests.

use nixcfg_compiler::syntax::reparse;
use rowan::ast::AstNode;

/// Pieces an edit inserts: ones that keep a binding and ones that break
/// or extend it.
const PIECES: &[&str] = &[
    "a", " ", "1", "\"", ";", "{", "}", "=", "#", "\n", "${", "x = 1;", "/*",
];

fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![
        std::path::PathBuf::from("../examples"),
        std::path::PathBuf::from("../../shared/conformance/nix-lang"),
    ];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "nix") {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    out.push((p.display().to_string(), text));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn reparse_gives_the_tree_of_a_whole_parse() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let (mut tried, mut reparsed) = (0, 0);
    let files = sources();
    assert!(files.len() > 100, "the corpora are found: {}", files.len());
    for (name, before) in &files {
        let tree = rnix::Root::parse(before);
        if !tree.errors().is_empty() || before.is_empty() {
            continue;
        }
        let tree = tree.tree();
        for _ in 0..12 {
            let at = next(before.len());
            if !before.is_char_boundary(at) {
                continue;
            }
            let removed = next(3).min(before.len() - at);
            if !before.is_char_boundary(at + removed) {
                continue;
            }
            let piece = if next(4) == 0 {
                ""
            } else {
                PIECES[next(PIECES.len())]
            };
            let after = format!("{}{piece}{}", &before[..at], &before[at + removed..]);
            tried += 1;
            let Some(got) = reparse(before, &tree, &after) else {
                continue;
            };
            reparsed += 1;
            let whole = rnix::Root::parse(&after);
            assert!(
                whole.errors().is_empty(),
                "{name}: reparsed an edit a whole parse rejects: {after:?}"
            );
            assert!(
                got.syntax().green() == whole.tree().syntax().green(),
                "{name}: the trees differ after replacing {removed} bytes at {at} by {piece:?}"
            );
        }
    }
    // Many of these files are one expression without bindings.
    assert!(
        tried > 2000 && reparsed > 300,
        "{reparsed} of {tried} reparsed"
    );
}

#[test]
fn typing_in_a_nested_binding_is_reparsed() {
    let before = "{ users.users.alice = { uid = 1; description = \"Alice\"; }; x = 2; }\n";
    let after = before.replace("\"Alice\"", "\"Alice Q\"");
    let tree = rnix::Root::parse(before).tree();
    let got = reparse(before, &tree, &after).expect("reparsed");
    assert!(got.syntax().green() == rnix::Root::parse(&after).tree().syntax().green());
    // A second binding typed at the end of one is not taken for the first.
    let after = before.replace("uid = 1;", "uid = 1; gid = 2;");
    let got = reparse(before, &tree, &after);
    assert!(
        got.is_none_or(|t| t.syntax().green() == rnix::Root::parse(&after).tree().syntax().green())
    );
}
