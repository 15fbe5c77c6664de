//! Names that become paths or files: checked before they are used.

/// A container name as NixOS accepts it, short enough for `ve-<name>`.
pub fn check_container_name(name: &str) -> Result<(), String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!(
            "invalid container name `{name}': use only letters, digits and `-'"
        ));
    }
    if name.len() > 11 {
        return Err(format!(
            "container name `{name}' is too long: at most 11 characters (the host interface is `ve-{name}')"
        ));
    }
    Ok(())
}

/// A user or group name as NixOS accepts it (`[a-zA-Z0-9_.][a-zA-Z0-9_.-]*`,
/// at most 31 characters).
pub fn check_account_name(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !first_ok || !rest_ok || name == "." || name == ".." {
        return Err(format!("invalid user or group name `{name}'"));
    }
    if name.len() > 31 {
        return Err(format!(
            "user or group name `{name}' is longer than 31 characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        assert!(check_container_name("web-1").is_ok());
        assert!(check_container_name("../x").is_err());
        assert!(check_container_name("a_b").is_err());
        assert!(check_container_name("twelve-chars").is_err());
        assert!(check_container_name("").is_err());
    }

    #[test]
    fn account_names() {
        assert!(check_account_name("alice").is_ok());
        assert!(check_account_name("_svc.x-1").is_ok());
        assert!(check_account_name("../x").is_err());
        assert!(check_account_name("..").is_err());
        assert!(check_account_name("-x").is_err());
        assert!(check_account_name("a:b").is_err());
    }
}
