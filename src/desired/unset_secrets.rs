//! Plans need no database passwords: a `${VAR}` used only where a secret
//! goes (a password, a connection string's `Password=`, a whole connection
//! string) may stay unset when the run sends no secret of that connection.
//! Its value is then unknown: creates and updates still show, rotation is
//! "not compared". `apply` and `plan --out` need every secret they send.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::resolve::{CONNECTION_STRING, Lookup, references};
use crate::config::ConnectionKey;
use crate::config::interpolate;
use crate::config::load::NodeValue;
use crate::validate::Located;

/// Which connections' secrets a run needs set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum SecretsNeeded {
    /// Every connection's (`apply`, `plan --out`).
    #[default]
    All,
    /// None: nothing is sent (`plan`).
    None,
    /// Only these connections' (`--target KEY`, as written).
    Only(Vec<String>),
}

/// Where the variables of the connections are used.
#[derive(Debug, Default)]
pub(crate) struct SecretVariables {
    /// Names used somewhere other than a secret: always needed.
    elsewhere: BTreeSet<String>,
    /// Per connection, the names it uses where a secret goes.
    secret: BTreeMap<ConnectionKey, BTreeSet<String>>,
}

impl SecretVariables {
    /// Reads every reference of `connections`.
    pub(crate) fn of(connections: &[Located]) -> SecretVariables {
        let mut found = SecretVariables::default();
        for located in connections {
            let mut uses = Vec::new();
            references(&located.node, "", &mut uses);
            for (name, offset, node, pointer) in uses {
                let text = match &node.value {
                    NodeValue::String(text) => text.as_str(),
                    _ => "",
                };
                if in_secret(&pointer, text, offset) {
                    found
                        .secret
                        .entry(located.connection.key())
                        .or_default()
                        .insert(name.to_owned());
                } else {
                    found.elsewhere.insert(name.to_owned());
                }
            }
        }
        found
    }

    /// Whether `name` may stay unset when the run needs `needed`.
    pub(crate) fn may_be_unknown(&self, name: &str, needed: &SecretsNeeded) -> bool {
        if self.elsewhere.contains(name) {
            return false;
        }
        let used = |key: &ConnectionKey| self.secret.get(key).is_some_and(|s| s.contains(name));
        match needed {
            SecretsNeeded::All => false,
            SecretsNeeded::None => self.secret.keys().any(used),
            SecretsNeeded::Only(targets) => {
                self.secret.keys().any(used)
                    && !self
                        .secret
                        .keys()
                        .any(|key| used(key) && targets.iter().any(|t| *t == key.to_string()))
            }
        }
    }

    /// Per connection, the unknown variables among its secrets.
    pub(crate) fn unknown(
        &self,
        unknown: &BTreeSet<String>,
    ) -> BTreeMap<ConnectionKey, BTreeSet<String>> {
        self.secret
            .iter()
            .filter_map(|(key, names)| {
                let names: BTreeSet<String> = names.intersection(unknown).cloned().collect();
                (!names.is_empty()).then(|| (key.clone(), names))
            })
            .collect()
    }
}

/// Whether the reference at `offset` of the string at `pointer` stands where
/// a secret goes.
fn in_secret(pointer: &str, text: &str, offset: usize) -> bool {
    if pointer == "/auth/password" {
        return true;
    }
    if pointer != CONNECTION_STRING {
        return false;
    }
    if interpolate::is_single_reference(text) {
        return true;
    }
    // The `key=value` part the reference sits in.
    let start = text[..offset.min(text.len())]
        .rfind(';')
        .map_or(0, |i| i + 1);
    let part = &text[start..];
    let key = part.split('=').next().unwrap_or("").trim();
    key.eq_ignore_ascii_case("password") && part.find('=').is_some_and(|eq| start + eq < offset)
}

/// `lookup`, where a variable that may stay unset reads as `placeholder`
/// (or, for a whole connection string, `placeholder_string`) and is noted
/// in `unknown`.
pub(crate) fn with_unknown<'a>(
    lookup: &'a Lookup<'a>,
    variables: &'a SecretVariables,
    needed: &'a SecretsNeeded,
    unknown: &'a Mutex<BTreeSet<String>>,
    whole_strings: &'a BTreeSet<String>,
    placeholders: (&'a str, &'a str),
) -> impl Fn(&str) -> Option<String> + Sync + 'a {
    move |name: &str| match lookup(name) {
        Some(value) => Some(value),
        None if variables.may_be_unknown(name, needed) => {
            if let Ok(mut unknown) = unknown.lock() {
                unknown.insert(name.to_owned());
            }
            let (value, string) = placeholders;
            Some(
                if whole_strings.contains(name) {
                    string
                } else {
                    value
                }
                .to_owned(),
            )
        }
        None => None,
    }
}

/// The plan's note for the connections whose secret is unknown, one per
/// variable: rotation of those is not compared.
pub(crate) fn not_compared(unknown: &BTreeMap<ConnectionKey, BTreeSet<String>>) -> Vec<String> {
    let mut by_name: BTreeMap<&str, Vec<&ConnectionKey>> = BTreeMap::new();
    for (key, names) in unknown {
        for name in names {
            by_name.entry(name).or_default().push(key);
        }
    }
    by_name
        .into_iter()
        .map(|(name, keys)| {
            let shown: Vec<String> = keys.iter().take(3).map(|k| format!("`{k}`")).collect();
            let more = keys.len().saturating_sub(3);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "secret rotation not compared: `{name}` not set ({}{tail}); `apply` and `plan --out` need it",
                shown.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::in_secret;

    #[test]
    fn only_secret_places_are_secret() {
        let cs = "/auth/connectionString";
        assert!(in_secret("/auth/password", "${PW}", 0));
        assert!(in_secret(cs, "${CS}", 0));
        let text = "Server=${HOST};Password=${PW};Port=1";
        assert!(!in_secret(cs, text, text.find("${HOST}").unwrap()));
        assert!(in_secret(cs, text, text.find("${PW}").unwrap()));
        assert!(!in_secret("/auth/server", "${PW}", 0));
        assert!(!in_secret(cs, "Password${X}=y", 8));
    }
}
