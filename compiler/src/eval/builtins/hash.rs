//! Hashing: `hashString`, `hashFile`, `convertHash`.

use super::{b, Builtin};
use crate::eval::store::{base32_decode, base32_encode, hex};
use crate::eval::{EvalResult, Evaluator, Sym, Thunk, Value};
use crate::source::Span;
use base64::Engine;
use sha2::Digest;

pub fn hash_size(algo: &str) -> Option<usize> {
    Some(match algo {
        "md5" => 16,
        "sha1" => 20,
        "sha256" => 32,
        "sha512" => 64,
        _ => return None,
    })
}

pub fn digest(algo: &str, data: &[u8]) -> Option<Vec<u8>> {
    Some(match algo {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        "sha256" => sha2::Sha256::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

fn bad_algo(ev: &Evaluator, algo: &str, s: Span) -> crate::eval::EvalError {
    ev.err(
        format!("unknown hash algorithm '{algo}', expect 'md5', 'sha1', 'sha256', or 'sha512'"),
        Some(s),
    )
}

fn hash_string(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let algo = ev.arg_str(&a[0], s)?;
    let data = ev.arg_str(&a[1], s)?;
    let d = digest(&algo, data.as_bytes()).ok_or_else(|| bad_algo(ev, &algo, s))?;
    Ok(Value::str(hex(&d)))
}

fn hash_file(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let algo = ev.arg_str(&a[0], s)?;
    let path = ev.arg_path(&a[1], s)?;
    let data = std::fs::read(&path).map_err(|e| {
        ev.err(
            format!("opening file '{path}': {}", crate::eval::io_msg(&e)),
            Some(s),
        )
    })?;
    let d = digest(&algo, &data).ok_or_else(|| bad_algo(ev, &algo, s))?;
    Ok(Value::str(hex(&d)))
}

/// Parses a hash in any of Nix's encodings; `algo` may come from an SRI
/// or `algo:` prefix instead.
pub fn parse_hash(text: &str, algo: Option<&str>) -> Result<(String, Vec<u8>), String> {
    let (algo, body, sri) = if let Some((a, rest)) =
        text.split_once('-').filter(|(a, _)| hash_size(a).is_some())
    {
        (a.to_string(), rest, true)
    } else if let Some((a, rest)) = text.split_once(':') {
        (a.to_string(), rest, false)
    } else {
        match algo {
            Some(a) => (a.to_string(), text, false),
            None => return Err(format!("hash '{text}' does not include a type, nor is the type otherwise known from context")),
        }
    };
    let size = hash_size(&algo).ok_or_else(|| {
        format!("unknown hash algorithm '{algo}', expect 'md5', 'sha1', 'sha256', or 'sha512'")
    })?;
    let bytes = if sri {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| format!("invalid SRI hash '{text}'"))?
    } else if body.len() == size * 2 {
        (0..size)
            .map(|i| u8::from_str_radix(&body[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("invalid base-16 hash '{text}'"))?
    } else if body.len() == (size * 8 - 1) / 5 + 1 {
        base32_decode(body, size).ok_or_else(|| format!("invalid base-32 hash '{text}'"))?
    } else if body.len() == size.div_ceil(3) * 4 {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| format!("invalid base-64 hash '{text}'"))?
    } else {
        return Err(format!(
            "hash '{text}' has wrong length for hash algorithm '{algo}'"
        ));
    };
    if bytes.len() != size {
        return Err(format!(
            "hash '{text}' has wrong length for hash algorithm '{algo}'"
        ));
    }
    Ok((algo, bytes))
}

pub fn format_hash(algo: &str, bytes: &[u8], format: &str) -> Option<String> {
    Some(match format {
        "base16" => hex(bytes),
        "nix32" | "base32" => base32_encode(bytes),
        "base64" => base64::engine::general_purpose::STANDARD.encode(bytes),
        "sri" => format!(
            "{algo}-{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ),
        _ => return None,
    })
}

fn convert_hash(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let args = ev.arg_attrs(&a[0], s)?;
    let hash = match args.get(Sym::new("hash")).cloned() {
        Some(t) => ev.arg_str(&t, s)?,
        None => return Err(ev.err("attribute 'hash' missing", Some(s))),
    };
    let algo = match args.get(Sym::new("hashAlgo")).cloned() {
        Some(t) => Some(ev.arg_str(&t, s)?),
        None => None,
    };
    let format = match args.get(Sym::new("toHashFormat")).cloned() {
        Some(t) => ev.arg_str(&t, s)?,
        None => return Err(ev.err("attribute 'toHashFormat' missing", Some(s))),
    };
    let (algo, bytes) = parse_hash(&hash, algo.as_deref()).map_err(|m| ev.err(m, Some(s)))?;
    let out = format_hash(&algo, &bytes, &format).ok_or_else(|| ev.err(format!("unknown hash format '{format}', expect 'base16', 'base32', 'nix32', 'base64', or 'sri'"), Some(s)))?;
    Ok(Value::str(out))
}

pub const BUILTINS: &[Builtin] = &[
    b("hashString", 2, hash_string),
    b("hashFile", 2, hash_file),
    b("convertHash", 1, convert_hash),
];
