//! Every secret value the run knows, removed from text a server sent before
//! that text is shown or logged: a service that echoes a request body must
//! not make `provision` print the password it echoed. (Errors are redacted
//! field by field in `redacted.rs`.)

use std::sync::{Arc, PoisonError, RwLock};

use crate::secret::MASK;

/// The secrets of a run, shared by the client, its token source and the
/// errors they build. Cloning shares the list.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Each secret in every spelling a server may echo it in, longest first.
    forms: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.forms.read().map_or(0, |forms| forms.len());
        write!(f, "Redactor({count} forms)")
    }
}

impl Redactor {
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Learns a secret: as is, JSON-escaped (a body echoed as JSON) and
    /// form-encoded (an echoed IMS form). Empty values are ignored.
    pub fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(secret)
            .to_owned();
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        let mut forms = self.forms.write().unwrap_or_else(PoisonError::into_inner);
        for form in [secret.to_owned(), json, form, percent] {
            if !form.is_empty() && !forms.contains(&form) {
                forms.push(form);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// `text` with every known secret replaced by `********`. A secret
    /// shorter than [`SHORT`] characters is replaced only where it stands
    /// alone (not inside a longer word): a password `s` echoed as `"s"` goes,
    /// the `s` of `https` stays, so the message still says what failed.
    pub fn redact(&self, text: &str) -> String {
        let forms = self.forms.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = text.to_owned();
        for form in forms.iter() {
            if !out.contains(form.as_str()) {
                continue;
            }
            out = if form.chars().count() < SHORT {
                replace_standalone(&out, form)
            } else {
                out.replace(form.as_str(), MASK)
            };
        }
        out
    }
}

/// Secrets shorter than this are masked only where they stand alone.
const SHORT: usize = 4;

/// `text` with each occurrence of `form` that no letter or digit touches
/// replaced by the mask.
fn replace_standalone(text: &str, form: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(form) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + form.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(form);
        } else {
            out.push_str(MASK);
        }
        rest = &rest[at + form.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_spelling_of_a_secret() {
        let r = Redactor::new();
        r.add("p\"w d&x");
        r.add("");
        let text = r#"raw p"w d&x json p\"w d&x form p%22w+d%26x pct p%22w%20d%26x"#;
        assert_eq!(
            r.redact(text),
            "raw ******** json ******** form ******** pct ********"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(!format!("{r:?}").contains("p\"w"));
    }

    #[test]
    fn a_short_secret_is_masked_only_where_it_stands_alone() {
        let r = Redactor::new();
        r.add("s");
        assert_eq!(
            r.redact(r#"https://ims/x failed: {"client_secret":"s"} s"#),
            r#"https://ims/x failed: {"client_secret":"********"} ********"#
        );
    }

    #[test]
    fn a_longer_secret_is_masked_whole() {
        let r = Redactor::new();
        r.add("abc");
        r.add("xxabcxx");
        assert_eq!(r.redact("xxabcxx abc"), "******** ********");
    }
}
