//! Suppressing findings: `# nixcfg: allow(CODE)` on the line before (or
//! at the end of the line), and per project in `nixcfg.toml`:
//!
//! ```toml
//! [check]
//! disable = ["unused-formal"]
//! exclude = ["hardware-configuration.nix", "vendor/**"]
//! ```

use super::Finding;

fn short(code: &str) -> &str {
    code.strip_prefix("nixcfg::").unwrap_or(code)
}

/// Whether a comment allows the finding.
pub fn is_suppressed(text: &str, f: &Finding) -> bool {
    let start = f.start as usize;
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    let prev_start = if line_start == 0 {
        0
    } else {
        text[..line_start - 1]
            .rfind('\n')
            .map(|i| i + 1)
            .unwrap_or(0)
    };
    let lines = &text[prev_start..line_end];
    lines.match_indices("nixcfg: allow(").any(|(i, m)| {
        let rest = &lines[i + m.len()..];
        let list = rest.split(')').next().unwrap_or("");
        list.split(',').any(|c| {
            let c = c.trim();
            short(c) == short(f.code)
        })
    })
}

/// `nixcfg.toml`'s `[check]` table.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub disable: Vec<String>,
    pub exclude: Vec<String>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, String> {
        let v: toml::Value = text.parse().map_err(|e| format!("nixcfg.toml: {e}"))?;
        let list = |k: &str| -> Result<Vec<String>, String> {
            match v.get("check").and_then(|c| c.get(k)) {
                None => Ok(Vec::new()),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(String::from)
                            .ok_or(format!("nixcfg.toml: check.{k} must be a list of strings"))
                    })
                    .collect(),
                Some(_) => Err(format!("nixcfg.toml: check.{k} must be a list of strings")),
            }
        };
        Ok(Config {
            disable: list("disable")?,
            exclude: list("exclude")?,
        })
    }

    pub fn disabled(&self, code: &str) -> bool {
        self.disable.iter().any(|d| short(d) == short(code))
    }

    /// Whether a path (relative to the config's directory) is excluded:
    /// `*` matches within a name, `**` across directories.
    pub fn excluded(&self, rel: &str) -> bool {
        self.exclude
            .iter()
            .any(|g| glob_match(g.trim_start_matches("./"), rel))
    }
}

fn glob_match(glob: &str, path: &str) -> bool {
    fn m(g: &[u8], p: &[u8]) -> bool {
        match (g.first(), p.first()) {
            (None, None) => true,
            (Some(b'*'), _) if g.get(1) == Some(&b'*') => {
                let rest = g[2..].strip_prefix(b"/").unwrap_or(&g[2..]);
                if rest.is_empty() {
                    return true;
                }
                (0..=p.len()).any(|i| (i == 0 || p[i - 1] == b'/') && m(rest, &p[i..]))
                    || m(rest, p)
            }
            (Some(b'*'), _) => (0..=p.len())
                .take_while(|&i| i == 0 || p[i - 1] != b'/')
                .any(|i| m(&g[1..], &p[i..])),
            (Some(a), Some(b)) if a == b => m(&g[1..], &p[1..]),
            _ => false,
        }
    }
    // `dir/**` also names `dir` itself (so a walk does not enter it).
    glob.strip_suffix("/**") == Some(path)
        || m(glob.as_bytes(), path.as_bytes())
        || (!glob.contains('/')
            && path
                .rsplit('/')
                .next()
                .is_some_and(|n| m(glob.as_bytes(), n.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("vendor/**", "vendor/a/b.nix"));
        assert!(glob_match(
            "hardware-configuration.nix",
            "hosts/x/hardware-configuration.nix"
        ));
        assert!(glob_match("*.nix", "a.nix"));
        assert!(!glob_match("vendor/*", "vendor/a/b.nix"));
        assert!(glob_match("**/gen-*.nix", "a/b/gen-1.nix"));
    }
}
