//! Building the packages a system needs through the real Nix: nixcfg
//! computed the `.drv` files (byte for byte Nix's); Nix writes them into
//! the store (`builtins.toFile`, which gives a `.drv` exactly its path)
//! and `nix-store --realise` builds them.

use crate::nixtools;
use nixcfg_compiler::system::build::Report;
use std::path::Path;

const EXPRESSION: &str = r#"# Written by nixcfg: writes nixcfg's .drv files into the store.
let
  spec = builtins.fromJSON (builtins.readFile ./derivations.json);
  nameOf = p: builtins.substring 44 (-1) p;
  ref =
    p:
    if spec.drvs ? ${p} then
      drvs.${p}
    else if spec.sources ? ${p} then
      builtins.path { path = /. + spec.sources.${p}; name = nameOf p; }
    else if spec.texts ? ${p} then
      builtins.toFile (nameOf p) spec.texts.${p}
    else
      builtins.storePath p;
  drvs = builtins.mapAttrs (
    p: d: builtins.toFile d.name (d.aterm + builtins.substring 0 0 (toString (map ref d.refs)))
  ) spec.drvs;
in
map (
  p:
  let
    made = drvs.${p};
  in
  if made == p then made else throw "nixcfg: Nix wrote ${made} where nixcfg computed ${p}"
) (builtins.attrNames spec.drvs)
"#;

/// Writes the derivations of `report` into the store and builds them.
pub fn realise(report: &Report, work: &Path) -> Result<(), String> {
    if report.to_build.is_empty() {
        return Ok(());
    }
    let io = |e: std::io::Error| format!("preparing the package build: {e}");
    std::fs::create_dir_all(work).map_err(io)?;
    let drvs: serde_json::Map<String, serde_json::Value> = report
        .derivations
        .iter()
        .map(|(p, d)| {
            (
                p.clone(),
                serde_json::json!({ "name": d.name, "aterm": d.aterm, "refs": d.refs }),
            )
        })
        .collect();
    let spec = serde_json::json!({
        "drvs": drvs,
        "sources": report.sources,
        "texts": report.text_files,
    });
    std::fs::write(work.join("derivations.json"), spec.to_string()).map_err(io)?;
    std::fs::write(work.join("derivations.nix"), EXPRESSION).map_err(io)?;
    let file = work.join("derivations.nix");
    nixtools::run(
        "nix-instantiate",
        &[
            "--eval".as_ref(),
            "--strict".as_ref(),
            "--read-write-mode".as_ref(),
            file.as_os_str(),
        ],
    )
    .map_err(|e| e.to_string())?;
    let mut args: Vec<&std::ffi::OsStr> = vec!["--realise".as_ref()];
    args.extend(
        report
            .to_build
            .iter()
            .map(|p| std::ffi::OsStr::new(p.as_str())),
    );
    nixtools::run("nix-store", &args).map_err(|e| e.to_string())?;
    Ok(())
}
