//! "Did you mean …?" for near misses: `verify-full` → `Verify Full`.

/// Letters and digits only, lowercased: spelling variants compare equal.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The candidate closest to `input`, if one is close enough to suggest.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let wanted = normalise(input);
    if wanted.is_empty() {
        return None;
    }
    candidates
        .iter()
        .map(|c| (*c, strsim::jaro_winkler(&wanted, &normalise(c))))
        .filter(|(c, score)| *score >= 0.85 && *c != input)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_spelling_variants() {
        let modes = ["Disable", "Allow", "Prefer", "Verify Ca", "Verify Full"];
        assert_eq!(closest("verify-full", &modes), Some("Verify Full"));
        assert_eq!(closest("VERIFY_CA", &modes), Some("Verify Ca"));
        assert_eq!(closest("sslmode", &["sslMode", "server"]), Some("sslMode"));
        assert_eq!(closest("banana", &modes), None);
    }
}
