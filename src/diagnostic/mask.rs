//! Masking secrets in source lines before a snippet shows them: the values
//! of secret-looking keys (typos and flow style included) and a connection
//! string's `Password=`.

/// Key names that hold secrets, matched loosely (lowercase substring), so
/// typos (`Passwrd`, `accessTokn`) and flow mappings are masked too.
const SECRET_HINTS: [&str; 6] = ["pass", "pwd", "secret", "token", "credential", "apikey"];

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_HINTS.iter().any(|hint| key.contains(hint))
        // A connection string is masked by its `Password=` part alone.
        || crate::secret::SECRET_FIELDS
            .iter()
            .filter(|name| **name != "connectionString")
            .any(|name| strsim::jaro_winkler(&key, &name.to_ascii_lowercase()) >= 0.85)
}

fn known_key_follows(rest: &[char]) -> bool {
    let rest: String = rest
        .iter()
        .collect::<String>()
        .trim_start()
        .to_ascii_lowercase();
    crate::connection_string::KEYS.iter().any(|key| {
        rest.strip_prefix(&key.to_ascii_lowercase())
            .is_some_and(|after| after.trim_start().starts_with('='))
    })
}

/// Masks the values of secret-looking keys on a source line, whatever the
/// diagnostic is about: `password: …` (block or flow style), a connection
/// string's `Password=…`, `clientSecret`, `accessToken`. Returns the line
/// and how far a caret at `column` (0-based, in characters) moves.
pub(super) fn mask_secrets(line: &str, column: usize) -> (String, isize) {
    const MASK: &str = "********";
    let block_key = line.trim_start().split(':').next().unwrap_or("").trim();
    let chars: Vec<char> = line.chars().collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != ':' && chars[i] != '=' {
            i += 1;
            continue;
        }
        let mut k = i;
        while k > 0 && chars[k - 1] == ' ' {
            k -= 1;
        }
        let end_key = k;
        while k > 0
            && (chars[k - 1].is_alphanumeric() || matches!(chars[k - 1], '_' | '-' | '"' | '\''))
        {
            k -= 1;
        }
        let key: String = chars[k..end_key].iter().collect();
        if key.is_empty() || !is_secret_key(&key) {
            i += 1;
            continue;
        }
        let mut start = i + 1;
        while start < chars.len() && chars[start] == ' ' {
            start += 1;
        }
        let block =
            chars[i] == ':' && key.trim_matches(['"', '\'']) == block_key.trim_matches(['"', '\'']);
        let end = if block {
            chars.len()
        } else if chars[i] == '=' {
            // A connection-string value ends only where a known key follows:
            // a password may itself contain `;`.
            (start..chars.len())
                .find(|&j| {
                    matches!(chars[j], '"' | '\'')
                        || (chars[j] == ';' && known_key_follows(&chars[j + 1..]))
                })
                .unwrap_or(chars.len())
        } else {
            (start..chars.len())
                .find(|&j| matches!(chars[j], ',' | '}' | ']' | '"' | '\''))
                .unwrap_or(chars.len())
        };
        // `${VAR}` references are not secrets: only literal text is masked.
        let reference = |to: usize| {
            let value: String = chars[start..to].iter().collect();
            let value = value.split(" #").next().unwrap_or("").trim();
            crate::secret::is_only_references(value.trim_matches(['"', '\'']))
        };
        let first_part = (start..end).find(|&j| chars[j] == ';').unwrap_or(end);
        let end = if chars[i] == '=' && reference(first_part) {
            first_part
        } else {
            end
        };
        if end > start && !reference(end) {
            spans.push((start, end));
        }
        i = end.max(i + 1);
    }
    let mut out = String::with_capacity(line.len());
    let mut shift = 0isize;
    let mut at = 0;
    for (start, end) in spans {
        out.extend(&chars[at..start]);
        out.push_str(MASK);
        if end <= column {
            shift += MASK.len() as isize - (end - start) as isize;
        }
        at = end;
    }
    out.extend(&chars[at..]);
    (out, shift)
}

/// Replaces everything from `column` on with a mask, so a snippet never shows
/// a secret value.
pub(super) fn mask_value(line: &str, column: u32) -> String {
    let keep: String = line.chars().take(column as usize - 1).collect();
    format!("{keep}********")
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn masks_secret_values_in_every_spelling() {
        let cases = [
            ("  password: hunter2", "  password: ********"),
            (
                "auth: {type: basic, password: hunter2flow, sslMode: x}",
                "auth: {type: basic, password: ********, sslMode: x}",
            ),
            ("  Passwrd: typo-secret", "  Passwrd: ********"),
            ("  accessTokn: leak", "  accessTokn: ********"),
            (
                "  connectionString: Server=a;Password = hunter2;UID=u",
                "  connectionString: Server=a;Password = ********;UID=u",
            ),
            ("  clientSecret: \"abc\"", "  clientSecret: ********"),
            ("  server: db.example.com", "  server: db.example.com"),
            (
                "  connectionString: UID=u;Password=semi;colon;Port=5432",
                "  connectionString: UID=u;Password=********;Port=5432",
            ),
            (
                "  connectionString: UID=u;Password=semi;colon-tail",
                "  connectionString: UID=u;Password=********",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(mask_secrets(line, 0).0, want, "{line}");
        }
        // A caret after a masked value moves with it.
        let line = "x: Password=abc;EncryptionMethod=2";
        let (masked, shift) = mask_secrets(line, line.find("2").unwrap());
        assert_eq!(masked, "x: Password=********;EncryptionMethod=2");
        assert_eq!(shift, 5);
    }
}
