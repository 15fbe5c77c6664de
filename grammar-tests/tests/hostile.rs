//! Malformed and hostile inputs: each must end in a clear error (exit 1,
//! the expected text on stderr), never a panic, a crash or a hang.
//! Cases are the files in `fixtures/hostile/` and the generated inputs
//! below, with expectations in `fixtures/hostile/expect.tsv`.

mod support;

use std::path::Path;
use std::process::Command;

/// Inputs too large to keep in the repository, made at test time.
fn generated(name: &str) -> Option<String> {
    Some(match name {
        "deep-parens" => format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        "deep-lists" => String::from("let f = n: if n == 0 then [ ] else [ (f (n - 1)) ]; in f 5000 == f 5000 && builtins.deepSeq (builtins.foldl' (acc: _: [ acc ]) [ ] (builtins.genList (x: x) 1000000)) true"),
        "deep-let-chain" => {
            let mut s = String::from("let a0 = 1;\n");
            for i in 1..100_000 {
                s.push_str(&format!("a{i} = a{} + 1;\n", i - 1));
            }
            s.push_str("in a99999\n");
            s
        }
        "huge-unterminated-string" => format!("\"{}", "x".repeat(50 << 20)),
        "huge-attribute-names" => {
            let mut s = String::from("{\n");
            for i in 0..100_000 {
                s.push_str(&format!("k{i} = {i};\n"));
            }
            s.push_str("k0 = 1; }\n");
            s
        }
        _ => return None,
    })
}

#[test]
fn hostile_inputs_end_in_clear_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile");
    let tmp = tempfile::tempdir().unwrap();
    let table = std::fs::read_to_string(dir.join("expect.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, want) = line.split_once('\t').expect("name<TAB>expected text");
        let file = match generated(name) {
            Some(text) => {
                let p = tmp.path().join(format!("{name}.nix"));
                std::fs::write(&p, text).unwrap();
                p
            }
            None => dir.join(name),
        };
        assert!(file.exists(), "{} missing", file.display());
        n += 1;
        // A small evaluation stack makes the deep cases reach the limit
        // quickly; the guard is the same at any size.
        let out = Command::new("timeout")
            .arg("120")
            .arg(support::nixcfg())
            .arg("eval")
            .arg(&file)
            .env("NIXCFG_EVAL_STACK", "64M")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        if code != Some(1) {
            failures.push(format!("{name}: exit {code:?}, want 1\n{}", tail(&stderr)));
        } else if !stderr.contains(want) {
            failures.push(format!("{name}: stderr lacks '{want}':\n{}", tail(&stderr)));
        } else if stderr.contains("panicked") {
            failures.push(format!("{name}: panicked:\n{}", tail(&stderr)));
        }
    }
    assert!(n >= 30, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(12)..]
        .join("\n")
        .chars()
        .take(2000)
        .collect()
}
