//! A check in the evaluator of the check before, reusing its submodule
//! instances (`incremental`), finds exactly what a fresh check finds,
//! at the same lines: after edits inside one instance (kept), and after
//! edits elsewhere (started afresh).

use nixcfg_compiler::eval::EvalOptions;
use nixcfg_compiler::incremental::IncrementalCheck;
use nixcfg_compiler::modules::{check_with, Configuration};
use nixcfg_compiler::source::SourceMap;

const CONFIG: &str = r#"{ lib, ... }:
{
  networking.hostName = "inc";
  users.groups.staff.gid = 3000;
  users.users.alice = { isNormalUser = true; uid = 2000; description = "Alice"; extraGroups = [ "staff" ]; };
  users.users.bob = { isNormalUser = true; uid = 2001; description = "Bob"; extraGroups = [ "staff" "wheel" ]; };
  users.users.carol = { isNormalUser = true; uid = 2002; description = "Carol"; openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3Nza carol@inc" ]; };
  services.openssh.enable = true;
  containers.web = {
    autoStart = true;
    config = {
      users.users.app = { isSystemUser = true; group = "app"; uid = 500; };
      users.groups.app.gid = 500;
      systemd.services.app = { description = "App"; wantedBy = [ "multi-user.target" ]; script = "exec sleep infinity"; };
    };
  };
}
"#;

/// Each step: text replaced, and whether the evaluator before may be kept.
const STEPS: &[(&str, &str, bool)] = &[
    // Inside one instance: kept.
    (
        "description = \"Alice\"",
        "description = \"Alice A.\"",
        true,
    ),
    // A type error inside an instance.
    ("uid = 2001;", "uid = \"2001\";", true),
    ("uid = \"2001\";", "uid = 2001;", true),
    // A uid shared with another user: the assertion reads every user.
    ("uid = 2002;", "uid = 2000;", true),
    (
        "uid = 2000; description = \"Carol\"",
        "uid = 2002; description = \"Carol\"",
        true,
    ),
    // An undeclared option inside an instance.
    (
        "description = \"Bob\";",
        "description = \"Bob\"; shel = \"/bin/sh\";",
        true,
    ),
    // Inside a container's system.
    (
        "description = \"App\"",
        "description = \"App server\"",
        true,
    ),
    (
        "group = \"app\"; uid = 500;",
        "group = \"nope\"; uid = 500;",
        true,
    ),
    // An `environment.etc` entry made from a user (its authorized keys):
    // taken from the check before only while the user is the same.
    (
        "carol@inc\" ]; };",
        "carol@inc\" ]; openssh.authorizedKeys.keyFiles = [ \"/nonexistent/carol.pub\" ]; };",
        true,
    ),
    ("carol@inc\" ]; openssh", "carol@inc2\" ]; openssh", true),
    (
        " openssh.authorizedKeys.keyFiles = [ \"/nonexistent/carol.pub\" ];",
        "",
        true,
    ),
    // Outside every instance: a fresh evaluator.
    (
        "networking.hostName = \"inc\";",
        "networking.hostName = \"inc2\"; users.mutableUsers = false;",
        false,
    ),
    // A group's members come from every user: still right after a kept check.
    (
        "extraGroups = [ \"staff\" ]; };",
        "extraGroups = [ ]; };",
        true,
    ),
    // An instance added: the set that holds it changed, so afresh.
    (
        "  services.openssh",
        "  users.users.dave.isNormalUser = true;\n  services.openssh",
        false,
    ),
];

fn render(errors: &[nixcfg_compiler::diagnostic::Diagnostic], sources: &SourceMap) -> Vec<String> {
    let mut out: Vec<String> = errors
        .iter()
        .map(|d| {
            let at = d.span.map(|s| {
                let f = sources.get(s.file);
                let (l, c) = f.line_col(s.start);
                format!("{}:{l}:{c}", f.name.rsplit('/').next().unwrap_or(""))
            });
            format!("{} {} @ {:?}", d.code, d.message, at)
        })
        .collect();
    out.sort();
    out
}

fn fresh(path: &std::path::Path) -> Vec<String> {
    match Configuration::load(path, EvalOptions::default(), false) {
        Ok(mut cfg) => {
            let errors = check_with(&mut cfg, None);
            render(&errors, &cfg.ev.sources)
        }
        Err(ds) => {
            let ds: Vec<_> = ds.into_iter().flat_map(|d| d.flatten()).collect();
            render(&ds, &SourceMap::default())
        }
    }
}

#[test]
fn reused_instances_give_a_fresh_checks_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("configuration.nix");
    let mut text = CONFIG.to_string();
    std::fs::write(&path, &text).unwrap();
    let mut run = move || {
        let mut kept = IncrementalCheck::default();
        kept.unbounded = true;
        let opts = EvalOptions::default();
        let (errors, sources) = kept.check(&path, &text, &opts);
        assert_eq!(render(&errors, &sources), fresh(&path), "first check");
        let mut findings = 0;
        for (i, (from, to, keep)) in STEPS.iter().enumerate() {
            assert!(text.contains(from), "step {i}: {from:?} is in the text");
            text = text.replacen(from, to, 1);
            std::fs::write(&path, &text).unwrap();
            let (errors, sources) = kept.check(&path, &text, &opts);
            assert_eq!(kept.last.kept, *keep, "step {i}: evaluator kept");
            if *keep {
                assert!(kept.last.reused > 0, "step {i}: instances reused");
            }
            let got = render(&errors, &sources);
            findings += got.len();
            assert_eq!(got, fresh(&path), "step {i}: {from:?} → {to:?}");
        }
        // The steps make mistakes the checks must find, not only agree on.
        assert!(findings >= 4, "{findings} findings over the steps");
    };
    std::thread::Builder::new()
        .stack_size(nixcfg_compiler::eval::run::eval_stack_size())
        .spawn(move || {
            nixcfg_compiler::eval::run::enter_eval_thread();
            run()
        })
        .unwrap()
        .join()
        .unwrap();
}
