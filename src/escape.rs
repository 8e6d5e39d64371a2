//! Text from elsewhere (a server, a file name) made safe to show on a
//! terminal. Pure functions, apart from the writer, so that domain code can
//! escape what it puts into a message without reaching for stdout.

/// A string from elsewhere (a server, a file name) made safe for a
/// terminal: control characters other than line breaks and tabs become
/// `\u{…}` escapes, so no escape sequence (ESC, CSI, a carriage return
/// that overwrites the line) reaches the terminal from it.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Escapes every control character, line breaks and tabs included: for one
/// quoted value that must stay on its line.
pub(crate) fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most of one server text shown (4 KiB), after escaping.
pub(crate) const SERVER_TEXT_LIMIT: usize = 4096;

/// Text from a server (an error title, a database's message) as shown in
/// every format: on one line (line breaks and every other control character
/// escaped, so it cannot start a CI workflow command such as `::error` or
/// `::add-mask::` on a line of its own), and at most
/// [`SERVER_TEXT_LIMIT`] bytes, cut on a character boundary and followed by
/// `... (N bytes more)` (N counts the server's own bytes left out).
pub(crate) fn server_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(SERVER_TEXT_LIMIT) + 32);
    for (at, c) in text.char_indices() {
        let before = out.len();
        if c.is_control() || is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        if out.len() > SERVER_TEXT_LIMIT {
            out.truncate(before);
            out.push_str(&format!("... ({} bytes more)", text.len() - at));
            return out;
        }
    }
    out
}

/// A JSON text made safe for a terminal: the characters serde leaves
/// as they are but a terminal acts on (C1 controls, DEL, bidirectional
/// overrides) become `\uXXXX` escapes, which JSON reads back as the same
/// string. All of them are in the Basic Multilingual Plane.
pub(crate) fn json_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// C0 and C1 controls (ESC and CSI start terminal sequences), DEL, and the
/// bidirectional overrides that reorder what a terminal shows.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_stays_on_one_line_and_under_the_cap() {
        assert_eq!(
            server_text("bad\n::error file=a.yaml::pwned\r\n::add-mask::x"),
            "bad\\u{a}::error file=a.yaml::pwned\\u{d}\\u{a}::add-mask::x"
        );
        let huge = "é".repeat(10 * 1024 * 1024);
        let shown = server_text(&huge);
        let (head, tail) = shown.split_once("... (").unwrap();
        assert!(head.len() <= SERVER_TEXT_LIMIT && head.chars().all(|c| c == 'é'));
        let left = huge.len() - head.len();
        assert_eq!(tail, format!("{left} bytes more)"));
        assert_eq!(server_text("plain"), "plain");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain `x`"), "plain `x`");
        assert_eq!(
            escape_controls("a\x1b[2Jb\rc\u{9b}d\ne"),
            "a\\u{1b}[2Jb\\u{d}c\\u{9b}d\ne"
        );
        assert_eq!(escape_value("a\nb\tc\u{202e}"), "a\\u{a}b\\u{9}c\\u{202e}");
        let json = serde_json::to_string("a\u{9b}b\u{202e}").unwrap();
        let safe = json_safe(&json);
        assert_eq!(safe, "\"a\\u009bb\\u202e\"");
        assert_eq!(
            serde_json::from_str::<String>(&safe).unwrap(),
            "a\u{9b}b\u{202e}"
        );
    }
}
