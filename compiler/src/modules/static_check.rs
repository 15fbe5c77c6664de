//! A configuration file's option definitions checked against nixcfg's
//! declared options without evaluating it: names that do not exist where
//! nixcfg declares every option (with "did you mean"), and literal values
//! (`true`, `"x"`, `[ "a" ]`, `42`, `null`) of the wrong type. The language
//! server shows these with the lints, at once; the evaluation's findings,
//! which cover every definition, replace them when it ends.

use super::options_index::{has_type, show_path, OptionsIndex};
use super::reference::OptionDoc;
use crate::diagnostic::Diagnostic;
use crate::eval::value::Thunk;
use crate::eval::{Evaluator, Value};
use crate::lint::options::{definitions, Def};
use crate::source::{FileId, Span};
use rnix::ast;
use rowan::ast::AstNode;

/// nixcfg's declared options, by path, with their type descriptions.
pub struct DeclaredOptions {
    index: OptionsIndex,
    /// Paths under which every option is declared (`_nixcfg.closedNamespaces`).
    closed: Vec<Vec<String>>,
}

impl DeclaredOptions {
    pub fn new(docs: &[OptionDoc], closed: Vec<Vec<String>>) -> DeclaredOptions {
        DeclaredOptions {
            index: OptionsIndex::from_types(docs.iter().map(|d| (d.loc.clone(), d.type_.clone()))),
            closed,
        }
    }

    fn in_closed_namespace(&self, path: &[String]) -> bool {
        self.closed.iter().any(|c| {
            c.len() < path.len()
                && c.iter()
                    .zip(path)
                    .all(|(c, p)| c == p || (c.starts_with('<') && c.ends_with('>')))
        })
    }
}

/// The mistakes `declared` shows in the definitions of `root` (the text of
/// `file`); `ev` evaluates the literal values.
pub fn check_definitions(
    root: &ast::Root,
    file: FileId,
    declared: &DeclaredOptions,
    ev: &mut Evaluator,
) -> Vec<Diagnostic> {
    check_definitions_of(&definitions(root), file, declared, ev)
}

/// `check_definitions` of the definitions read already (the lints read
/// the same).
pub fn check_definitions_of(
    defs: &[Def],
    file: FileId,
    declared: &DeclaredOptions,
    ev: &mut Evaluator,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for def in defs {
        // A container's system has the host's options.
        let skip = if def.path.len() > 3 && def.path[0] == "containers" && def.path[2] == "config" {
            3
        } else {
            0
        };
        check_one(def, skip, file, declared, ev, &mut out);
    }
    out
}

fn check_one(
    def: &Def,
    skip: usize,
    file: FileId,
    declared: &DeclaredOptions,
    ev: &mut Evaluator,
    out: &mut Vec<Diagnostic>,
) {
    let path = &def.path[skip..];
    let span = |i: usize| {
        let r = def.ranges[skip + i];
        Some(Span {
            file,
            start: r.start().into(),
            end: r.end().into(),
        })
    };
    match declared.index.lookup(path) {
        Err(i) => {
            // Reported once, by the definition that ends at the name.
            if i + 1 != path.len() || !declared.in_closed_namespace(path) {
                return;
            }
            let name = show_path(path);
            let mut d = Diagnostic::new(
                "nixcfg::unknown-option",
                format!("The option `{name}' does not exist."),
                span(i),
            )
            .with_label("not declared by any module");
            let siblings = declared.index.siblings(&path[..i]);
            let names: Vec<&str> = siblings.iter().map(String::as_str).collect();
            if let Some(s) = crate::eval::builtins::suggest(&path[i], &names) {
                let mut full = path[..i].to_vec();
                full.push(s.to_string());
                d = d.with_help(format!("did you mean `{}'?", full.join(".")));
            }
            out.push(d);
        }
        Ok(Some(ty)) => {
            let Some(v) = literal(&def.value) else {
                return;
            };
            if matches!(has_type(ev, &ty, &v), Ok(false)) {
                let r = def.value.syntax().text_range();
                out.push(
                    Diagnostic::new(
                        "nixcfg::type-mismatch",
                        format!(
                            "A definition for option `{}' is not of type `{ty}'.",
                            show_path(path)
                        ),
                        Some(Span {
                            file,
                            start: r.start().into(),
                            end: r.end().into(),
                        }),
                    )
                    .with_label(format!("not {ty}")),
                );
            }
        }
        Ok(None) => {}
    }
}

/// The value of an expression made only of literals (read from the
/// syntax tree: thousands of definitions are checked on every edit).
fn literal(e: &ast::Expr) -> Option<Value> {
    Some(match e {
        ast::Expr::Literal(l) => match l.kind() {
            ast::LiteralKind::Integer(i) => Value::Int(i.value().ok()?),
            ast::LiteralKind::Float(f) => Value::Float(f.value().ok()?),
            ast::LiteralKind::Uri(u) => Value::str(ast::AstToken::syntax(&u).text().to_string()),
        },
        ast::Expr::Str(s) => {
            let mut text = String::new();
            for p in s.normalized_parts() {
                match p {
                    ast::InterpolPart::Literal(l) => text.push_str(&l),
                    ast::InterpolPart::Interpolation(_) => return None,
                }
            }
            Value::str(text)
        }
        ast::Expr::Ident(i) => match i.syntax().text().to_string().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => return None,
        },
        ast::Expr::List(l) => {
            let items: Option<Vec<Thunk>> =
                l.items().map(|x| literal(&x).map(Thunk::Val)).collect();
            Value::list(items?)
        }
        ast::Expr::Paren(p) => literal(&p.expr()?)?,
        ast::Expr::UnaryOp(u) if u.operator() == Some(ast::UnaryOpKind::Negate) => {
            match literal(&u.expr()?)? {
                Value::Int(i) => Value::Int(i.checked_neg()?),
                Value::Float(f) => Value::Float(-f),
                _ => return None,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::EvalOptions;

    fn findings(text: &str) -> Vec<(String, String)> {
        let docs = vec![
            OptionDoc {
                loc: vec![
                    "users".into(),
                    "users".into(),
                    "<name>".into(),
                    "isNormalUser".into(),
                ],
                name: "users.users.<name>.isNormalUser".into(),
                description: String::new(),
                type_: "boolean".into(),
                default: None,
                example: None,
                read_only: false,
                declarations: Vec::new(),
            },
            OptionDoc {
                loc: vec![
                    "users".into(),
                    "users".into(),
                    "<name>".into(),
                    "extraGroups".into(),
                ],
                name: "users.users.<name>.extraGroups".into(),
                description: String::new(),
                type_: "list of string".into(),
                default: None,
                example: None,
                read_only: false,
                declarations: Vec::new(),
            },
        ];
        let closed = vec![vec![
            "users".to_string(),
            "users".to_string(),
            "<name>".to_string(),
        ]];
        let declared = DeclaredOptions::new(&docs, closed);
        let mut ev = Evaluator::new(EvalOptions::default());
        let root = rnix::Root::parse(text).tree();
        check_definitions(&root, FileId(0), &declared, &mut ev)
            .into_iter()
            .map(|d| (d.code.to_string(), d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn unknown_names_and_literal_types() {
        let f = findings(
            "{ ... }: { users.users.alice = { isNormalUser = \"yes\"; extraGrops = [ ]; }; }",
        );
        assert_eq!(
            f,
            vec![
                ("nixcfg::type-mismatch".into(), String::new()),
                (
                    "nixcfg::unknown-option".into(),
                    "did you mean `users.users.alice.extraGroups'?".into()
                ),
            ]
        );
    }

    #[test]
    fn values_that_need_evaluation_and_open_namespaces_are_left_alone() {
        let f = findings(
            "{ lib, ... }: { users.users.bob.isNormalUser = lib.mkDefault true; services.foo.enable = 1; containers.web.config.users.users.z.isNormalUser = 1; }",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "nixcfg::type-mismatch");
    }
}
