//! Pure helpers behind `ACL CAT`, `ACL GENPASS` and `ACL HELP`.

use crate::error::{AclError, CText};
use moat_commands::{Category, CommandTable};

/// `ACL CAT`: the category names in Redis's order. The 21 built-in ones
/// always; module categories (`json`) only when some command uses them.
pub fn categories() -> Vec<&'static str> {
    let table = CommandTable::global();
    Category::ALL
        .iter()
        .filter(|c| **c != Category::Json || table.in_category(**c).next().is_some())
        .map(|c| c.name())
        .collect()
}

/// `ACL CAT <name>`: full names (`get`, `client|kill`) of the commands and
/// subcommands in the category, case-insensitive lookup.
pub fn category_commands(name: &[u8]) -> Result<Vec<String>, AclError> {
    let Some(category) = Category::from_name(name) else {
        let shown = &name[..name.len().min(128)];
        return Err(AclError::UnknownCategory(CText::new(shown)));
    };
    Ok(CommandTable::global()
        .in_category(category)
        .map(|c| c.fullname.clone())
        .collect())
}

/// The most bits `ACL GENPASS` produces.
pub const GENPASS_MAX_BITS: i64 = 4096;

/// `ACL GENPASS [bits]`: `ceil(bits / 4)` random hex characters.
pub fn genpass(bits: i64) -> Result<String, AclError> {
    if !(1..=GENPASS_MAX_BITS).contains(&bits) {
        return Err(AclError::GenpassBits);
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut random = vec![0u8; chars.div_ceil(2)];
    getrandom::getrandom(&mut random).map_err(|_| AclError::Random)?;
    let mut hex = String::with_capacity(chars + 1);
    for byte in random {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex.truncate(chars);
    Ok(hex)
}

/// `ACL HELP`, one status line each (Redis 7.2 / Valkey text).
pub fn help_lines() -> Vec<&'static str> {
    vec![
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Print this help.",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genpass_lengths_and_bounds() {
        assert_eq!(genpass(256).unwrap().len(), 64);
        assert_eq!(genpass(5).unwrap().len(), 2);
        assert_eq!(genpass(1).unwrap().len(), 1);
        assert_eq!(genpass(4096).unwrap().len(), 1024);
        assert!(genpass(256)
            .unwrap()
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        for bad in [0, -1, 4097] {
            assert_eq!(
                genpass(bad).unwrap_err().to_string(),
                "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
            );
        }
    }

    #[test]
    fn help_has_29_lines() {
        let lines = help_lines();
        assert_eq!(lines.len(), 29);
        assert_eq!(lines[28], "    Print this help.");
    }
}
