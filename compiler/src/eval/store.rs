//! Store path arithmetic: Nix's base32, hash compression, store paths for
//! sources, text files, fixed outputs and derivation outputs, and NAR
//! serialisation of files (for hashing paths copied to the store).

use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;

const BASE32: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";

pub fn base32_encode(hash: &[u8]) -> String {
    if hash.is_empty() {
        return String::new();
    }
    let len = (hash.len() * 8 - 1) / 5 + 1;
    let mut s = String::with_capacity(len);
    for n in (0..len).rev() {
        let b = n * 5;
        let i = b / 8;
        let j = b % 8;
        let lo = (hash[i] as u32) >> j;
        let hi = if i + 1 < hash.len() {
            (hash[i + 1] as u32) << (8 - j)
        } else {
            0
        };
        s.push(BASE32[((lo | hi) & 0x1f) as usize] as char);
    }
    s
}

pub fn base32_decode(s: &str, size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; size];
    let bytes = s.as_bytes();
    for (n, &c) in bytes.iter().rev().enumerate() {
        let digit = BASE32.iter().position(|&x| x == c)? as u32;
        let b = n * 5;
        let i = b / 8;
        let j = b % 8;
        if i >= size {
            if digit != 0 {
                return None;
            }
            continue;
        }
        out[i] |= (digit << j) as u8;
        let carry = digit >> (8 - j);
        if carry != 0 {
            if i + 1 >= size {
                return None;
            }
            out[i + 1] |= carry as u8;
        }
    }
    Some(out)
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn compress_hash(hash: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    for (i, b) in hash.iter().enumerate() {
        out[i % size] ^= b;
    }
    out
}

/// `makeStorePath(type, hash, name)`.
pub fn make_store_path(store_dir: &str, ty: &str, hash: &[u8; 32], name: &str) -> String {
    let s = format!("{ty}:sha256:{}:{store_dir}:{name}", hex(hash));
    let h = compress_hash(&sha256(s.as_bytes()), 20);
    format!("{store_dir}/{}-{name}", base32_encode(&h))
}

fn with_refs(ty: &str, refs: &[String], self_ref: bool) -> String {
    let mut t = ty.to_string();
    let mut refs: Vec<&String> = refs.iter().collect();
    refs.sort();
    refs.dedup();
    for r in refs {
        t.push(':');
        t.push_str(r);
    }
    if self_ref {
        t.push_str(":self");
    }
    t
}

/// A text file in the store (`builtins.toFile`, `.drv` files).
pub fn make_text_path(store_dir: &str, name: &str, contents: &[u8], refs: &[String]) -> String {
    make_store_path(
        store_dir,
        &with_refs("text", refs, false),
        &sha256(contents),
        name,
    )
}

/// A path added by content (`"${./src}"`): sha256 of its NAR.
pub fn make_source_path(
    store_dir: &str,
    name: &str,
    nar_hash: &[u8; 32],
    refs: &[String],
) -> String {
    make_store_path(store_dir, &with_refs("source", refs, false), nar_hash, name)
}

/// A fixed-output path.
pub fn make_fixed_output_path(
    store_dir: &str,
    name: &str,
    recursive: bool,
    algo: &str,
    hash: &[u8],
) -> String {
    if recursive && algo == "sha256" {
        let mut h = [0u8; 32];
        h.copy_from_slice(hash);
        return make_source_path(store_dir, name, &h, &[]);
    }
    let inner = format!(
        "fixed:out:{}{algo}:{}:",
        if recursive { "r:" } else { "" },
        hex(hash)
    );
    make_store_path(store_dir, "output:out", &sha256(inner.as_bytes()), name)
}

pub fn output_path_name(drv_name: &str, output: &str) -> String {
    if output == "out" {
        drv_name.to_string()
    } else {
        format!("{drv_name}-{output}")
    }
}

pub fn make_output_path(
    store_dir: &str,
    output: &str,
    hash_modulo: &[u8; 32],
    drv_name: &str,
) -> String {
    make_store_path(
        store_dir,
        &format!("output:{output}"),
        hash_modulo,
        &output_path_name(drv_name, output),
    )
}

/// Checks a store path name as Nix does.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("name must not be empty".into());
    }
    if name.len() > 211 {
        return Err("name must be less than 212 characters".into());
    }
    if name.starts_with('.')
        && (name == "." || name == ".." || name.starts_with(".-") || name.starts_with("..-"))
    {
        return Err(format!("name '{name}' is not valid"));
    }
    for c in name.chars() {
        if !(c.is_ascii_alphanumeric() || "+-._?=".contains(c)) {
            return Err(format!("invalid character '{c}' in name '{name}'"));
        }
    }
    Ok(())
}

// --------------------------------------------------------------- NAR

/// A file tree to serialise; built first so a Nix filter can prune it.
pub enum NarNode {
    Regular { executable: bool, contents: Vec<u8> },
    Symlink(String),
    Directory(Vec<(String, NarNode)>),
}

pub fn read_tree(
    path: &Path,
    filter: &mut dyn FnMut(&Path, &str) -> io::Result<bool>,
) -> io::Result<NarNode> {
    let meta = std::fs::symlink_metadata(path)?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        let t = std::fs::read_link(path)?;
        Ok(NarNode::Symlink(t.to_string_lossy().into_owned()))
    } else if ft.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        let mut out = Vec::new();
        for e in entries {
            let p = e.path();
            let t = e.file_type()?;
            let ty = if t.is_dir() {
                "directory"
            } else if t.is_symlink() {
                "symlink"
            } else if t.is_file() {
                "regular"
            } else {
                "unknown"
            };
            if filter(&p, ty)? {
                out.push((
                    e.file_name().to_string_lossy().into_owned(),
                    read_tree(&p, filter)?,
                ));
            }
        }
        Ok(NarNode::Directory(out))
    } else {
        use std::os::unix::fs::PermissionsExt;
        let executable = meta.permissions().mode() & 0o100 != 0;
        Ok(NarNode::Regular {
            executable,
            contents: std::fs::read(path)?,
        })
    }
}

fn nar_str(h: &mut Sha256, s: &[u8]) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s);
    let pad = (8 - s.len() % 8) % 8;
    h.update(&[0u8; 8][..pad]);
}

fn nar_node(h: &mut Sha256, n: &NarNode) {
    nar_str(h, b"(");
    nar_str(h, b"type");
    match n {
        NarNode::Regular {
            executable,
            contents,
        } => {
            nar_str(h, b"regular");
            if *executable {
                nar_str(h, b"executable");
                nar_str(h, b"");
            }
            nar_str(h, b"contents");
            nar_str(h, contents);
        }
        NarNode::Symlink(t) => {
            nar_str(h, b"symlink");
            nar_str(h, b"target");
            nar_str(h, t.as_bytes());
        }
        NarNode::Directory(entries) => {
            nar_str(h, b"directory");
            for (name, child) in entries {
                nar_str(h, b"entry");
                nar_str(h, b"(");
                nar_str(h, b"name");
                nar_str(h, name.as_bytes());
                nar_str(h, b"node");
                nar_node(h, child);
                nar_str(h, b")");
            }
        }
    }
    nar_str(h, b")");
}

pub fn nar_hash(n: &NarNode) -> [u8; 32] {
    let mut h = Sha256::new();
    nar_str(&mut h, b"nix-archive-1");
    nar_node(&mut h, n);
    h.finalize().into()
}

/// The base name a path gets in the store.
pub fn store_name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
