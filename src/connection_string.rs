//! The Azure PostgreSQL connection string grammar:
//! `Server=…;Database=…;Port=…;UID=…;Password=…` plus the optional TLS keys
//! `EncryptionMethod=0|1|6` and `ValidateServerCertificate=0|1`. Keys are
//! case-insensitive; each may appear once.

use crate::suggest::closest;

/// Help text shown with every connection-string diagnostic.
pub(crate) const SHAPE: &str = "expected `Server=…;Database=…;Port=…;UID=…;Password=${VAR}`, optionally `;EncryptionMethod=0|1|6;ValidateServerCertificate=0|1`";

/// Canonical spellings, in the order the platform documents them.
pub(crate) const KEYS: [&str; 7] = [
    "Server",
    "Database",
    "Port",
    "UID",
    "Password",
    "EncryptionMethod",
    "ValidateServerCertificate",
];
const REQUIRED: usize = 5;

/// One problem, at a byte offset into the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub offset: usize,
    pub message: String,
}

/// The parsed entries (canonical key, offset of the value, value) and problems.
#[derive(Debug, Default)]
pub(crate) struct Parsed<'a> {
    pub entries: Vec<(&'static str, usize, &'a str)>,
    pub problems: Vec<Problem>,
}

impl<'a> Parsed<'a> {
    /// The value of a key (case-insensitive) and its offset.
    pub(crate) fn get(&self, key: &str) -> Option<(usize, &'a str)> {
        self.entries
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, offset, value)| (*offset, *value))
    }
}

/// Parses and checks a connection string. Values are never copied into
/// messages: the password lives in here. An unknown key is named unless it
/// follows a literal password, whose own `;` may have split it off.
pub(crate) fn parse(input: &str) -> Parsed<'_> {
    let mut parsed = Parsed::default();
    let mut offset = 0;
    let mut after_literal_password = false;
    for part in input.split(';') {
        let start = offset;
        offset += part.len() + 1;
        if part.trim().is_empty() {
            continue;
        }
        let Some(eq) = part.find('=') else {
            parsed.problems.push(Problem {
                offset: start,
                message: "connection string part has no `=`: expected `Key=value`".into(),
            });
            continue;
        };
        let raw_key = part[..eq].trim();
        let value = part[eq + 1..].trim();
        let value_offset =
            start + eq + 1 + (part[eq + 1..].len() - part[eq + 1..].trim_start().len());
        let key_offset = start + (part.len() - part.trim_start().len());
        let Some(key) = KEYS.iter().find(|k| k.eq_ignore_ascii_case(raw_key)) else {
            // Only a near miss of a known key is quoted: anything else may be
            // the tail of a password that contains `;`.
            let message = match closest(raw_key, &KEYS) {
                Some(k) => {
                    format!("unknown connection string key `{raw_key}`; did you mean `{k}`?")
                }
                None if !after_literal_password => format!(
                    "unknown connection string key `{raw_key}`: expected one of {}",
                    KEYS.map(|k| format!("`{k}`")).join(", ")
                ),
                None => format!(
                    "a part of the connection string is not `Key=value` with a known key (known: {}); a `;` inside a value splits it",
                    KEYS.join(", ")
                ),
            };
            parsed.problems.push(Problem {
                offset: key_offset,
                message,
            });
            continue;
        };
        if parsed.get(key).is_some() {
            parsed.problems.push(Problem {
                offset: key_offset,
                message: format!(
                    "connection string key `{key}` appears more than once: expected it once"
                ),
            });
            continue;
        }
        after_literal_password =
            *key == "Password" && !value.is_empty() && !crate::secret::is_only_references(value);
        if let Some(message) = check_value(key, value) {
            parsed.problems.push(Problem {
                offset: value_offset,
                message,
            });
        }
        parsed.entries.push((key, value_offset, value));
    }
    for key in &KEYS[..REQUIRED] {
        if parsed.get(key).is_none() {
            parsed.problems.push(Problem {
                offset: 0,
                message: format!("connection string has no `{key}`: it is required"),
            });
        }
    }
    parsed
}

fn check_value(key: &str, value: &str) -> Option<String> {
    let is_reference = value.starts_with("${");
    match key {
        "EncryptionMethod" if !matches!(value, "0" | "1" | "6") => Some(format!(
            "`EncryptionMethod={value}` is not valid: expected 0 (disabled), 1 (enabled) or 6 (RequestSSL)"
        )),
        "ValidateServerCertificate" if !matches!(value, "0" | "1") => Some(format!(
            "`ValidateServerCertificate={value}` is not valid: expected 0 (disabled) or 1 (enabled)"
        )),
        "Port" if !is_reference && !matches!(value.parse::<u32>(), Ok(1..=65535)) => Some(format!(
            "`Port={value}` is not valid: expected an integer from 1 to 65535"
        )),
        "Server" | "Database" | "UID" | "Password" if value.is_empty() => Some(format!(
            "connection string `{key}` is empty: expected a value"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_form_case_insensitively() {
        let p = parse(
            "server=h;DATABASE=d;Port=5432;uid=u;Password=${P};EncryptionMethod=1;ValidateServerCertificate=1;",
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.get("password"), Some((45, "${P}")));
    }

    #[test]
    fn names_an_unknown_key_unless_a_literal_password_may_have_split_it() {
        let p = parse("Server=h;Database=d;Port=5432;UID=u;Password=${P};Foo=1");
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert!(
            p.problems[0]
                .message
                .starts_with("unknown connection string key `Foo`: expected one of `Server`"),
            "{:?}",
            p.problems
        );
        assert_eq!(p.problems[0].offset, 50);
        let p = parse("Server=h;Database=d;Port=5432;UID=u;Password=hun;ter2");
        assert!(!p.problems[0].message.contains("ter2"), "{:?}", p.problems);
    }

    #[test]
    fn reports_each_problem_without_echoing_the_password() {
        let p = parse(
            "Server=h;Server=x;Port=99999;Password=hunter2;ValidationServerCertificate=1;EncryptionMethod=2",
        );
        let messages: Vec<_> = p.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`Server` appears more than once"))
        );
        assert!(messages.iter().any(|m| m.contains("`Port=99999`")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("did you mean `ValidateServerCertificate`"))
        );
        assert!(messages.iter().any(|m| m.contains("`EncryptionMethod=2`")));
        assert!(messages.iter().any(|m| m.contains("no `Database`")));
        assert!(messages.iter().any(|m| m.contains("no `UID`")));
        assert!(messages.iter().all(|m| !m.contains("hunter2")));
    }
}
