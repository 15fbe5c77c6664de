//! Documentation of every builtin (for the language server's hover and
//! completion), kept in `docs.txt` beside the implementations.

/// A builtin's usage line and description.
pub struct BuiltinDoc {
    /// `map f list`
    pub usage: String,
    pub text: String,
}

const DOCS: &str = include_str!("docs.txt");

/// The documentation of builtin `name`.
pub fn builtin_doc(name: &str) -> Option<BuiltinDoc> {
    let mut lines = DOCS.lines();
    while let Some(line) = lines.next() {
        if line.starts_with([' ', '#']) || line.is_empty() {
            continue;
        }
        if line.split_whitespace().next() != Some(name) {
            continue;
        }
        let text: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        return Some(BuiltinDoc {
            usage: line.trim_end().to_string(),
            text: text.join(" "),
        });
    }
    None
}

/// Names that have an entry.
pub fn documented() -> impl Iterator<Item = &'static str> {
    DOCS.lines()
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '#']))
        .filter_map(|l| l.split_whitespace().next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{EvalOptions, Evaluator, Value};

    #[test]
    fn every_builtin_has_an_entry_and_every_entry_a_builtin() {
        let mut ev = Evaluator::new(EvalOptions::default());
        let Ok(Value::Attrs(all)) = ev.eval_string("builtins", "/".into()) else {
            panic!("builtins is a set");
        };
        let names: Vec<&str> = all
            .entries
            .iter()
            .map(|a| a.name.as_str())
            .filter(|n| !n.starts_with("__"))
            .collect();
        let missing: Vec<&&str> = names.iter().filter(|n| builtin_doc(n).is_none()).collect();
        assert!(missing.is_empty(), "builtins without docs: {missing:?}");
        let extra: Vec<&str> = documented().filter(|d| !names.contains(d)).collect();
        assert!(extra.is_empty(), "docs for no builtin: {extra:?}");
        let map = builtin_doc("map").expect("map");
        assert_eq!(map.usage, "map f list");
        assert!(map.text.contains("each element"));
    }
}
