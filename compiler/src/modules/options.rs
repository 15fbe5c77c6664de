//! `nixcfg options`: an option's type, default, description, where it is
//! declared, and every definition with its location and priority.

use super::{position, Configuration};
use crate::diagnostic::Diagnostic;
use crate::eval::Value;

pub struct DefinitionInfo {
    /// `file:line:col`, or the file alone when the position is unknown.
    pub location: String,
    /// The file, line and column (1-based), when known.
    pub position: Option<(String, u32, u32)>,
    pub priority: i64,
    /// Whether this definition is among those that make the value (its
    /// priority is the highest one given).
    pub won: bool,
}

pub struct OptionInfo {
    pub path: String,
    pub type_description: String,
    pub default: Option<String>,
    pub description: Option<String>,
    pub declarations: Vec<String>,
    pub definitions: Vec<DefinitionInfo>,
    pub highest_priority: Option<i64>,
    /// The merged value, or the error that evaluating it gives.
    pub value: Result<String, String>,
}

pub enum OptionNode {
    Option(Box<OptionInfo>),
    /// A set of options: the names below it.
    Group {
        path: String,
        children: Vec<String>,
    },
}

fn err(e: crate::eval::EvalError) -> Diagnostic {
    e.into_diagnostic()
}

fn get_string(
    cfg: &mut Configuration,
    v: &Value,
    name: &str,
) -> Result<Option<String>, Diagnostic> {
    let x = cfg.get(v, name).map_err(err)?;
    Ok(string_of(cfg, x))
}

fn string_of(cfg: &mut Configuration, v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.s.clone()),
        other => Some(cfg.show(&other, 200)),
    }
}

/// Describes the option (or the set of options) at `path`.
pub fn describe(cfg: &mut Configuration, path: &[String]) -> Result<OptionNode, Diagnostic> {
    // A container's system has the host's options.
    if path.len() > 3 && path[0] == "containers" && path[2] == "config" {
        let node = describe(cfg, &path[3..])?;
        return Ok(match node {
            OptionNode::Option(mut info) => {
                info.path = path.join(".");
                instance_value(cfg, &mut info, path)?;
                OptionNode::Option(info)
            }
            group => group,
        });
    }
    let options = cfg.field("options").map_err(err)?;
    let shown = path.join(".");
    let mut node = options;
    // Whether the next name is an instance of an `attrsOf` option
    // (`alice` in `users.users.alice.uid`), and whether one was passed.
    let mut instance_next = false;
    let mut in_instance = false;
    for (i, p) in path.iter().enumerate() {
        if std::mem::take(&mut instance_next) {
            in_instance = true;
            continue;
        }
        let next = cfg.get(&node, p).map_err(err)?;
        match next {
            Some(v) => node = v,
            None => {
                let names: Vec<String> = match &node {
                    Value::Attrs(a) => a
                        .entries
                        .iter()
                        .map(|e| e.name.as_str().to_string())
                        .collect(),
                    _ => Vec::new(),
                };
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let at = path[..i].join(".");
                let mut d = Diagnostic::new(
                    "nixcfg::unknown-option",
                    format!("no option `{shown}' is declared"),
                    None,
                );
                if let Some(s) = crate::eval::builtins::suggest(p, &refs) {
                    d = d.with_help(format!(
                        "did you mean `{}{}{s}'?",
                        at,
                        if at.is_empty() { "" } else { "." }
                    ));
                }
                return Err(d);
            }
        }
        if i + 1 < path.len() && cfg.is_option(&node).map_err(err)? {
            {
                // Below an option: a submodule's options.
                let ty = cfg.get(&node, "type").map_err(err)?;
                let Some(ty) = ty else { break };
                instance_next = matches!(
                    get_string(cfg, &ty, "name")?.as_deref(),
                    Some("attrsOf" | "lazyAttrsOf")
                );
                let get_sub = cfg.get(&ty, "getSubOptions").map_err(err)?;
                let Some(get_sub) = get_sub else { break };
                let loc = Value::list(
                    path[..=i]
                        .iter()
                        .map(|s| crate::eval::Thunk::value(Value::str(s.clone())))
                        .collect(),
                );
                let span = crate::source::Span {
                    file: crate::source::FileId(0),
                    start: 0,
                    end: 0,
                };
                node = cfg.ev.apply_values(&get_sub, &[loc], span).map_err(err)?;
                continue;
            }
        }
    }
    if !cfg.is_option(&node).map_err(err)? {
        let children = match &node {
            Value::Attrs(a) => a
                .entries
                .iter()
                .map(|e| e.name.as_str().to_string())
                .filter(|n| !n.starts_with('_'))
                .collect(),
            _ => Vec::new(),
        };
        return Ok(OptionNode::Group {
            path: shown,
            children,
        });
    }
    let mut info = option_info(cfg, &node, shown)?;
    if in_instance {
        instance_value(cfg, &mut info, path)?;
    }
    Ok(OptionNode::Option(Box::new(info)))
}

/// For an option of a submodule instance (`users.users.alice.uid`): the
/// declaration comes from the submodule's options, the value is the
/// instance's, read from `config`. The definitions inside an instance are
/// not recorded by the module system, so none are listed.
fn instance_value(
    cfg: &mut Configuration,
    info: &mut OptionInfo,
    path: &[String],
) -> Result<(), Diagnostic> {
    let config = cfg.field("config").map_err(err)?;
    info.value = match cfg.select_path(config, path) {
        Ok(Some(v)) => match cfg.ev.force_deep(&v) {
            Ok(()) => Ok(cfg.show(&v, 2000)),
            Err(e) => Err(e.message().to_string()),
        },
        Ok(None) => Err("not defined".into()),
        Err(e) => Err(e.message().to_string()),
    };
    info.definitions.clear();
    info.highest_priority = None;
    Ok(())
}

fn option_info(
    cfg: &mut Configuration,
    opt: &Value,
    path: String,
) -> Result<OptionInfo, Diagnostic> {
    let ty = cfg.get(opt, "type").map_err(err)?;
    let type_description = match ty {
        Some(t) => get_string(cfg, &t, "description")?.unwrap_or_default(),
        None => "unspecified".into(),
    };
    let default = match cfg.get(opt, "defaultText").ok().flatten() {
        Some(Value::Attrs(a)) => {
            let v = Value::Attrs(a);
            get_string(cfg, &v, "text")?
        }
        Some(v) => string_of(cfg, Some(v)),
        None => match cfg.get(opt, "default") {
            Ok(Some(v)) => Some(cfg.show(&v, 200)),
            Ok(None) => None,
            Err(e) => Some(format!("«error: {}»", e.message())),
        },
    };
    let description = get_string(cfg, opt, "description").ok().flatten();
    let mut declarations = Vec::new();
    if let Some(Value::List(ps)) = cfg.get(opt, "declarationPositions").map_err(err)? {
        for t in ps.iter() {
            let p = cfg.thunk_value(t).map_err(err)?;
            if let Some((f, l, c)) = position(cfg, &p) {
                declarations.push(format!("{f}:{l}:{c}"));
            } else if let Some(Value::String(f)) = cfg.get(&p, "file").ok().flatten() {
                declarations.push(f.s.clone());
            }
        }
    }
    let highest_priority = match cfg.get(opt, "highestPrio") {
        Ok(Some(Value::Int(i))) => Some(i),
        _ => None,
    };
    let mut definitions = Vec::new();
    if let Ok(Some(Value::List(ds))) = cfg.get(opt, "definitionsWithPriorities") {
        for t in ds.iter() {
            let d = cfg.thunk_value(t).map_err(err)?;
            let file = get_string(cfg, &d, "file")?.unwrap_or_default();
            let pos = cfg.get(&d, "pos").map_err(err)?;
            let position = pos.and_then(|p| position(cfg, &p));
            let location = match &position {
                Some((f, l, c)) => format!("{f}:{l}:{c}"),
                None => file,
            };
            let priority = match cfg.get(&d, "priority").map_err(err)? {
                Some(Value::Int(i)) => i,
                _ => 100,
            };
            definitions.push(DefinitionInfo {
                location,
                position,
                priority,
                won: Some(priority) == highest_priority,
            });
        }
    }
    let value = match cfg.get(opt, "value") {
        Ok(Some(v)) => {
            let r = cfg.ev.force_deep(&v);
            match r {
                Ok(()) => Ok(cfg.show(&v, 2000)),
                Err(e) => Err(e.message().to_string()),
            }
        }
        Ok(None) => Err("no value".into()),
        Err(e) => Err(e.message().to_string()),
    };
    Ok(OptionInfo {
        path,
        type_description,
        default,
        description,
        declarations,
        definitions,
        highest_priority,
        value,
    })
}
