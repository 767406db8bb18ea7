//! The EVAL script cache: scripts by SHA-1, compiled once, with the flags
//! of their shebang line.

use super::flags::ScriptFlags;
use super::sandbox::Vm;
use super::sha1::sha1_hex;
use bytes::Bytes;
use mlua::Function;
use moat_config::tokenize::split_args;
use std::collections::HashMap;

pub struct CachedScript {
    pub function: Function,
    pub flags: ScriptFlags,
    pub body: Bytes,
}

#[derive(Default)]
pub struct ScriptCache {
    scripts: HashMap<String, CachedScript>,
}

impl ScriptCache {
    /// `sha` must already be lowercase.
    pub fn get(&self, sha: &str) -> Option<&CachedScript> {
        self.scripts.get(sha)
    }

    pub fn contains(&self, sha: &str) -> bool {
        self.scripts.contains_key(sha)
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    /// What the cache holds besides the compiled functions (MEMORY STATS
    /// `lua.caches`): each script's body and SHA-1 key, and its entry.
    pub fn memory_bytes(&self) -> usize {
        use crate::db::memory::block;
        self.scripts
            .iter()
            .map(|(sha, script)| {
                block(script.body.len())
                    + block(sha.len())
                    + std::mem::size_of::<(String, CachedScript)>()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Compiles and caches `body` unless cached; returns its sha. Errors
    /// are the reply text.
    pub fn load(&mut self, vm: &Vm, body: &Bytes) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = shebang_flags(body)?;
        // The shebang line is skipped but its line feed kept, so line
        // numbers in errors stay the user's.
        let function = vm
            .compile("@user_script", &body[shebang_len..])
            .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
        self.scripts.insert(
            sha.clone(),
            CachedScript {
                function,
                flags,
                body: body.clone(),
            },
        );
        Ok(sha)
    }
}

/// Redis's `evalExtractShebangFlags`: the flags of `#!lua flags=a,b` and
/// the shebang's length (0 without one).
pub fn shebang_flags(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    let mut flags = ScriptFlags::EVAL_COMPAT_MODE;
    if !body.starts_with(b"#!") {
        return Ok((flags, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".to_string());
    };
    let parts = split_args(&body[..end])
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| "ERR Invalid engine in script shebang".to_string())?;
    if parts[0] != b"#!lua"[..] {
        return Err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    flags.remove(ScriptFlags::EVAL_COMPAT_MODE);
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match ScriptFlags::by_name(name) {
                Some(flag) => flags.insert(flag),
                None => {
                    return Err(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags_as_redis_parses_them() {
        let (flags, len) = shebang_flags(b"return 1").unwrap();
        assert!(flags.contains(ScriptFlags::EVAL_COMPAT_MODE));
        assert_eq!(len, 0);
        let (flags, len) = shebang_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.contains(ScriptFlags::NO_WRITES) && flags.contains(ScriptFlags::ALLOW_OOM));
        assert!(!flags.contains(ScriptFlags::EVAL_COMPAT_MODE));
        assert_eq!(len, 31);
        assert_eq!(
            shebang_flags(b"#!lua flags=nope\n").unwrap_err(),
            "ERR Unexpected flag in script shebang: nope"
        );
        assert_eq!(
            shebang_flags(b"#!lua").unwrap_err(),
            "ERR Invalid script shebang"
        );
        assert_eq!(
            shebang_flags(b"#!js\n").unwrap_err(),
            "ERR Unexpected engine in script shebang: #!js"
        );
    }

    #[test]
    fn read_only_rules() {
        let compat = ScriptFlags::EVAL_COMPAT_MODE;
        assert_eq!(compat.read_only(true), Ok(true));
        assert_eq!(compat.read_only(false), Ok(false));
        assert_eq!(ScriptFlags::NO_WRITES.read_only(false), Ok(true));
        assert!(ScriptFlags::default().read_only(true).is_err());
    }
}
