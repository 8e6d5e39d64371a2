//! Where `${VAR}`s and the `PROVISION_*` / `AEP_*` variables come from: one
//! injected lookup, so every read agrees on what "unset" means (an empty
//! value counts as unset: CI systems pass a missing secret as an empty
//! string) and tests can supply their own variables.

use std::fmt;
use std::sync::Arc;

/// Looks a variable up; `None` means unset.
type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The variables a run reads.
#[derive(Clone)]
pub(crate) struct Environment(Arc<LookupFn>);

impl Environment {
    /// The process environment.
    pub(crate) fn process() -> Self {
        Environment::from_fn(|name| std::env::var(name).ok())
    }

    /// Any lookup, e.g. a map in a test.
    pub(crate) fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Environment(Arc::new(lookup))
    }

    /// The value of `name`; `None` when unset or empty.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.is_empty())
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: never print them.
        f.write_str("Environment(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::Environment;

    #[test]
    fn empty_counts_as_unset() {
        let env = Environment::from_fn(|name| match name {
            "SET" => Some("v".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        });
        assert_eq!(env.get("SET").as_deref(), Some("v"));
        assert_eq!(env.get("EMPTY"), None);
        assert_eq!(env.get("MISSING"), None);
        assert_eq!(format!("{env:?}"), "Environment(..)");
    }
}
