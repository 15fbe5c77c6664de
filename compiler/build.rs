//! Lists the Nix files under `nix/` for `eval::embedded`, so that adding a
//! module needs no edit of Rust code.

use std::path::Path;

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("nix/ is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "nix") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("nix");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut code = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&root).expect("under nix/").to_string_lossy();
        // corepkgs/ answers `<nix/…>`; everything else lives under `<nixcfg/…>`.
        let name = match rel.strip_prefix("corepkgs/") {
            Some(r) => format!("nix/{r}"),
            None => format!("nixcfg/{rel}"),
        };
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded_files.rs");
    std::fs::write(out, code).expect("write embedded_files.rs");
}
