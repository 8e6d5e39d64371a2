//! `${VAR}` references in string values: parsing (shared by validation and
//! secret resolution) and substitution from the environment.

/// One piece of a string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text (`$${` already unescaped to `${`).
    Text(std::borrow::Cow<'a, str>),
    /// A `${NAME}` reference.
    Var(&'a str),
}

/// A malformed reference: byte offset in the value and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Splits a value into literal text and `${NAME}` references. `$${` is a
/// literal `${`; a `$` not followed by `{` is literal.
pub fn parse(value: &str) -> Result<Vec<Piece<'_>>, SyntaxError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = value;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        literal.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(escaped) = after.strip_prefix("$${") {
            literal.push_str("${");
            rest = escaped;
            offset += i + 3;
        } else if let Some(body) = after.strip_prefix("${") {
            let Some(end) = body.find('}') else {
                return Err(SyntaxError {
                    offset: offset + i,
                    message: "unterminated `${`: expected `${NAME}`, or `$${` for a literal `${`"
                        .into(),
                });
            };
            let name = &body[..end];
            if !is_var_name(name) {
                return Err(SyntaxError {
                    offset: offset + i,
                    message: format!(
                        "invalid variable name `{name}`: expected letters, digits and underscores, not starting with a digit"
                    ),
                });
            }
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal).into()));
            }
            pieces.push(Piece::Var(name));
            rest = &body[end + 1..];
            offset += i + 2 + end + 1;
        } else {
            literal.push('$');
            rest = &after[1..];
            offset += i + 1;
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal.into()));
    }
    Ok(pieces)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// True when the value is exactly one `${NAME}` reference.
pub fn is_single_reference(value: &str) -> bool {
    matches!(parse(value).as_deref(), Ok([Piece::Var(_)]))
}

/// Names referenced by a value, in order (malformed values have none).
pub fn references(value: &str) -> Vec<&str> {
    parse(value)
        .map(|pieces| {
            pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Var(name) => Some(name),
                    Piece::Text(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Names referenced by a value with the byte offset of each `${`, in order
/// (malformed values have none).
pub fn references_at(value: &str) -> Vec<(usize, &str)> {
    if parse(value).is_err() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = value[at..].find('$') {
        let start = at + i;
        let after = &value[start..];
        if after.starts_with("$${") {
            at = start + 3;
        } else if let Some(body) = after.strip_prefix("${") {
            // `parse` succeeded, so the reference is terminated and valid.
            let end = body.find('}').unwrap_or(body.len());
            found.push((start, &body[..end]));
            at = start + 2 + end + 1;
        } else {
            at = start + 1;
        }
    }
    found
}

/// `orders-db` + `PASSWORD` -> `ORDERS_DB_PASSWORD`: upper snake case, and a
/// leading `_` when the name starts with a digit (variable names cannot).
pub fn variable_name(name: &str, suffix: &str) -> String {
    let mut var = String::with_capacity(name.len() + suffix.len() + 1);
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            var.push(c.to_ascii_uppercase());
        } else if !var.ends_with('_') {
            var.push('_');
        }
    }
    let mut var = var.trim_matches('_').to_owned();
    if var.is_empty() {
        var.push_str("CONNECTION");
    }
    if var.starts_with(|c: char| c.is_ascii_digit()) {
        var.insert(0, '_');
    }
    format!("{var}_{suffix}")
}

/// Substitutes every reference with `lookup(name)`; returns the names that
/// had no value instead, so every missing variable can be reported at once.
pub fn substitute(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<String>> {
    let Ok(pieces) = parse(value) else {
        return Ok(value.to_owned());
    };
    let mut out = String::with_capacity(value.len());
    let mut missing = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(&text),
            Piece::Var(name) => match lookup(name) {
                Some(v) => out.push_str(&v),
                None => missing.push(name.to_owned()),
            },
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_and_escapes() {
        assert_eq!(
            parse("a${B}c$${d}$e").unwrap(),
            vec![
                Piece::Text("a".into()),
                Piece::Var("B"),
                Piece::Text("c${d}$e".into())
            ]
        );
        assert!(is_single_reference("${ORDERS_DB_PASSWORD}"));
        assert!(!is_single_reference("x${A}"));
        assert!(!is_single_reference("hunter2"));
    }

    #[test]
    fn finds_each_reference_with_its_offset() {
        assert_eq!(references_at("a${B}$${C}x${D}"), vec![(1, "B"), (11, "D")]);
        assert!(references_at("${A-B}").is_empty());
    }

    #[test]
    fn reports_malformed_references_with_offsets() {
        assert_eq!(parse("ab${").unwrap_err().offset, 2);
        assert_eq!(parse("x${A}${1B}").unwrap_err().offset, 5);
        assert!(parse("${A-B}").unwrap_err().message.contains("`A-B`"));
    }

    #[test]
    fn substitutes_and_names_every_missing_variable() {
        let env = |n: &str| (n == "A").then(|| "1".to_owned());
        assert_eq!(substitute("x${A}$${A}", &env).unwrap(), "x1${A}");
        assert_eq!(
            substitute("${B}${A}${C}", &env).unwrap_err(),
            vec!["B", "C"]
        );
    }
}
