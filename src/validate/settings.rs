//! The settings file: its schema, plaintext credentials and a literal
//! password in `state.url`.

use std::path::Path;

use super::connection::plaintext_secret;
use super::variables::check_strings;
use super::{Options, schema};
use crate::config::Settings;
use crate::config::interpolate;
use crate::config::load::{self, Node, NodeValue};
use crate::config::schema::Kind;
use crate::diagnostic::{Code, Diagnostic, Severity};

pub(super) fn check_settings_file(
    path: &Path,
    options: Options,
) -> (Option<Settings>, Vec<Diagnostic>, Option<String>) {
    let source = match load::load_file(path) {
        Ok(source) => source,
        Err((diag, text)) => return (None, vec![diag], text),
    };
    let mut diags: Vec<Diagnostic> = source.duplicates.into_iter().map(|(_, d)| d).collect();
    let Some(doc) = source.documents.first() else {
        return (Some(Settings::default()), diags, Some(source.text));
    };
    if source.documents.len() > 1 {
        diags.push(Diagnostic::error(
            Code::ExtraDocument,
            path,
            source.documents[1].pos,
            "`provision.yaml` holds one document: expected no `---` separator".into(),
        ));
    }
    let value = doc.to_json();
    diags.extend(schema::validate(Kind::Settings, path, 0, doc, &value));
    check_strings(path, 0, doc, &mut Vec::new(), &source.text, &mut diags);
    if !diags.is_empty() {
        return (None, diags, Some(source.text));
    }
    diags.extend(shared_org(path, doc));
    let severity = if options.allow_plaintext_secrets {
        Severity::Warning
    } else {
        Severity::Error
    };
    for key in ["clientSecret", "accessToken"] {
        let pointer = format!("/credentials/{key}");
        if let Some(node) = doc.get("credentials").and_then(|c| c.get(key))
            && let NodeValue::String(s) = &node.value
            && !interpolate::is_single_reference(s)
        {
            diags.push(plaintext_secret(
                path,
                0,
                node.pos,
                &pointer,
                &format!("`{key}`"),
                severity,
            ));
        }
    }
    if let Some(node) = doc.get("state").and_then(|c| c.get("url"))
        && let NodeValue::String(url) = &node.value
        && url_has_plaintext_password(url)
    {
        diags.push(plaintext_secret(
            path,
            0,
            node.pos,
            "/state/url",
            "the password in `state.url`",
            severity,
        ));
    }
    match serde_json::from_value::<Settings>(value) {
        Ok(settings) => {
            diags.extend(super::environment_settings::check(path, doc, &settings));
            (Some(settings), diags, Some(source.text))
        }
        Err(err) => {
            diags.push(Diagnostic::error(
                Code::Schema,
                path,
                doc.pos,
                format!("invalid settings: {err}"),
            ));
            (None, diags, Some(source.text))
        }
    }
}

/// One IMS org written for both clouds: an org lives on one cloud, and the
/// platform's identity is (org, sandbox, name), so an `azure` and an `aws`
/// connection of one name would land in the same place.
fn shared_org(path: &Path, doc: &Node) -> Option<Diagnostic> {
    let org = |cloud: &str| {
        let node = doc.get("orgs")?.get(cloud)?.get("imsOrg")?;
        match &node.value {
            NodeValue::String(s) if !s.contains("${") => Some((node, s.trim())),
            _ => None,
        }
    };
    let ((azure_node, azure), (aws_node, aws)) = (org("azure")?, org("aws")?);
    if !azure.eq_ignore_ascii_case(aws) {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::SharedOrg,
            path,
            aws_node.pos,
            format!(
                "`orgs.aws.imsOrg` is `{aws}`, the same IMS org as `orgs.azure.imsOrg` on line {}: expected a different org per cloud (an org lives on one cloud)",
                azure_node.pos.line
            ),
        )
        .in_document(0, "/orgs/aws/imsOrg")
        .with_help(format!(
            "`orgs.azure.imsOrg` is set at {}:{}:{}; with one org for both clouds an `azure` and an `aws` connection of the same name would be the same connection on the platform",
            path.display(),
            azure_node.pos.line,
            azure_node.pos.column
        )),
    )
}

/// `postgres://user:PASSWORD@host` or `?password=…` with a literal password
/// (a `${VAR}` there, or a whole-URL `${VAR}`, is fine).
fn url_has_plaintext_password(url: &str) -> bool {
    let literal = |value: &str| !value.is_empty() && !interpolate::is_single_reference(value);
    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or("");
    let in_userinfo = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| literal(password));
    let in_query = url
        .split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .any(|kv| kv.strip_prefix("password=").is_some_and(literal))
        })
        .unwrap_or(false);
    in_userinfo || in_query
}

#[cfg(test)]
mod tests {
    use super::url_has_plaintext_password as plain;

    #[test]
    fn finds_literal_passwords_in_state_urls() {
        assert!(plain("postgres://prov:S3cret@db:5432/state"));
        assert!(plain("postgres://db/state?sslmode=require&password=S3cret"));
        assert!(!plain("postgres://prov:${STATE_PW}@db:5432/state"));
        assert!(!plain("postgres://prov@db:5432/state"));
        assert!(!plain("${PROVISION_STATE_URL}"));
    }
}
