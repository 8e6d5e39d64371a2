//! The rules of one connection that no schema can express: a literal
//! `name`, plaintext secrets, the connection-string grammar, MySQL's port.

use std::path::Path;

use super::{Options, position_in_scalar};
use crate::config::interpolate;
use crate::config::load::{Node, NodeValue};
use crate::connection_string;
use crate::diagnostic::{Code, Diagnostic, Position, Severity};

/// The semantic rules of one connection. They read the YAML nodes, not the
/// typed value, so they run (and report) even when the schema failed too.
pub(super) fn check_connection(
    path: &Path,
    index: usize,
    doc: &Node,
    text: &str,
    options: Options,
    out: &mut Vec<Diagnostic>,
) {
    let severity = if options.allow_plaintext_secrets {
        Severity::Warning
    } else {
        Severity::Error
    };
    if let Some(node) = doc.get("name")
        && let NodeValue::String(name) = &node.value
        && name.contains("${")
    {
        out.push(
            Diagnostic::error(
                Code::Interpolation,
                path,
                node.pos,
                "`name` is the connection's identity: `${VAR}` references are not allowed in it"
                    .into(),
            )
            .in_document(index, "/name")
            .with_help("write the name literally; state and the duplicate check key on it"),
        );
    }
    let Some(auth) = doc.get("auth") else { return };
    if let Some(node) = auth.get("password")
        && let NodeValue::String(password) = &node.value
        && interpolate::parse(password).is_ok()
        && !interpolate::is_single_reference(password)
    {
        out.push(plaintext_secret(
            path,
            index,
            node.pos,
            "/auth/password",
            "`password`",
            severity,
        ));
    }
    if let Some(node) = auth.get("port")
        && matches!(node.value, NodeValue::Int(3306) | NodeValue::UInt(3306))
    {
        out.push(mysql_port(path, index, node.pos, "/auth/port"));
    }
    let is_connection_string = auth
        .get("type")
        .is_some_and(|t| t.value == NodeValue::String("connectionString".into()));
    if let Some(node) = auth
        .get("connectionString")
        .filter(|_| is_connection_string)
    {
        check_connection_string(path, index, node, text, severity, out);
    }
}

/// The grammar of `auth.connectionString`, its `Password` and its `Port`.
fn check_connection_string(
    path: &Path,
    index: usize,
    node: &Node,
    text: &str,
    severity: Severity,
    out: &mut Vec<Diagnostic>,
) {
    let NodeValue::String(cs) = &node.value else {
        return;
    };
    let pointer = "/auth/connectionString";
    let pos = |offset: usize| position_in_scalar(text, node, cs, offset);
    let parsed = connection_string::parse(cs);
    for problem in &parsed.problems {
        out.push(
            Diagnostic::error(
                Code::ConnectionString,
                path,
                pos(problem.offset),
                problem.message.clone(),
            )
            .in_document(index, pointer)
            .with_help(connection_string::SHAPE)
            .secret(),
        );
    }
    if let Some((offset, value)) = parsed.get("password")
        && !value.is_empty()
        && !interpolate::is_single_reference(value)
    {
        out.push(plaintext_secret(
            path,
            index,
            pos(offset),
            pointer,
            "connection string `Password`",
            severity,
        ));
    }
    if let Some((offset, "3306")) = parsed.get("port") {
        out.push(mysql_port(path, index, pos(offset), pointer));
    }
}

pub(super) fn plaintext_secret(
    path: &Path,
    index: usize,
    pos: Position,
    pointer: &str,
    what: &str,
    severity: Severity,
) -> Diagnostic {
    Diagnostic::new(
        Code::PlaintextSecret,
        severity,
        path,
        pos,
        format!("{what} is written in plain text: expected a `${{VAR}}` reference to an environment variable"),
    )
    .in_document(index, pointer)
    .with_help("e.g. `${ORDERS_DB_PASSWORD}`, set where provision runs; `--allow-plaintext-secrets` makes this a warning")
    .secret()
}

fn mysql_port(path: &Path, index: usize, pos: Position, pointer: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::SuspiciousPort,
        path,
        pos,
        "port 3306 is MySQL's default; PostgreSQL usually listens on 5432".into(),
    )
    .in_document(index, pointer)
    .with_help("check the port; this is a PostgreSQL connection")
}
