//! Memory is reclaimed: evaluating a configuration-sized expression 1,000
//! times in one process keeps resident memory bounded, even though every
//! evaluation builds reference cycles (rec sets, fixpoints, closures over
//! their own frames, self-containing lists).

use nixcfg_compiler::eval::{EvalOptions, Evaluator};

const CONFIG: &str = r#"
let
  fix = f: let x = f x; in x;
  lib = rec {
    mapAttrs = builtins.mapAttrs;
    recursiveUpdate = a: b: a // builtins.mapAttrs (n: v: if builtins.isAttrs v && a ? ${n} && builtins.isAttrs a.${n} then recursiveUpdate a.${n} v else v) b;
  };
  users = builtins.listToAttrs (builtins.genList (i: {
    name = "user${toString i}";
    value = { uid = 1000 + i; groups = [ "users" ]; home = "/home/user${toString i}"; };
  }) 200);
  config = fix (self: {
    inherit users;
    groups = lib.mapAttrs (n: u: { members = [ n ]; gid = u.uid; }) self.users;
    passwd = builtins.concatStringsSep "\n" (builtins.attrValues (lib.mapAttrs (n: u: "${n}:x:${toString u.uid}:${toString self.groups.${n}.gid}::${u.home}:/bin/sh") self.users));
    merged = lib.recursiveUpdate { a.b = 1; c = [ self.passwd ]; } { a.d = 2; };
    loop = let xs = [ xs ]; in xs;
    services = rec { a = { after = [ b ]; }; b = { before = [ a ]; }; };
  });
in
builtins.deepSeq [ config.groups config.merged config.services.a ] (builtins.stringLength config.passwd)
"#;

fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn evaluate_once() {
    let mut ev = Evaluator::new(EvalOptions::default());
    let v = ev
        .eval_string(CONFIG, "/".into())
        .unwrap_or_else(|d| panic!("{}", d[0].message));
    let printed = ev.print_value(&v, true).unwrap();
    assert!(printed.parse::<u64>().unwrap() > 5000);
}

#[test]
fn repeated_evaluations_keep_memory_bounded() {
    // The evaluator needs a big stack in debug builds.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            for _ in 0..100 {
                evaluate_once();
            }
            let after_100 = resident_kib();
            for _ in 100..1000 {
                evaluate_once();
            }
            let after_1000 = resident_kib();
            eprintln!("resident memory: {after_100} KiB after 100 evaluations, {after_1000} KiB after 1000");
            // 900 more evaluations may not add more than a few MiB (a leak
            // of even one kilobyte per evaluation would add 900 KiB).
            assert!(after_1000 <= after_100 + 1024, "memory grew from {after_100} KiB to {after_1000} KiB");
        })
        .unwrap()
        .join()
        .unwrap();
}
