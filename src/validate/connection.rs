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
    earlier_names_are_literal(path, index, doc, out);
    let Some(auth) = doc.get("auth") else { return };
    if let Some(node) = auth.get("password")
        && let NodeValue::String(password) = &node.value
        && interpolate::parse(password).is_ok()
        && !interpolate::is_single_reference(password)
    {
        let variable = example_variable(doc, "PASSWORD");
        let mut d = secret_in_plain_text(
            Place::new(path, index, node.pos, "/auth/password"),
            "`password`",
            &format!("`password: ${{{variable}}}`"),
            severity,
        );
        if super::shell_style::shell_name(password).is_some() {
            // Maybe a variable, maybe a password starting with `$`: masked
            // unless the project or the environment knows the name.
            let relax = match severity {
                Severity::Error => RELAX_PLAINTEXT_SECRETS,
                Severity::Warning => "",
            };
            d.help = Some(format!("{}{relax}", super::shell_style::MAYBE_VARIABLE));
        }
        out.push(d);
    }
    check_ports(path, index, auth, out);
    let is_connection_string = auth
        .get("type")
        .is_some_and(|t| t.value == NodeValue::String("connectionString".into()));
    if let Some(node) = auth
        .get("connectionString")
        .filter(|_| is_connection_string)
    {
        check_connection_string(
            Place::new(path, index, node.pos, "/auth/connectionString"),
            node,
            text,
            severity,
            doc,
            out,
        );
    }
}

/// The warnings about ports: one inside `server` (V209), MySQL's (V205).
fn check_ports(path: &Path, index: usize, auth: &Node, out: &mut Vec<Diagnostic>) {
    if let Some(node) = auth.get("server")
        && let NodeValue::String(server) = &node.value
        && let Some(d) = port_in_server(path, index, node, server)
    {
        out.push(d);
    }
    if let Some(node) = auth.get("port")
        && matches!(node.value, NodeValue::Int(3306) | NodeValue::UInt(3306))
    {
        out.push(mysql_port(path, index, node.pos, "/auth/port"));
    }
}

/// A `${VAR}` name for a connection's secret, from its name:
/// `orders-db` -> `ORDERS_DB_PASSWORD`.
fn example_variable(doc: &Node, suffix: &str) -> String {
    match doc.get("name").map(|n| &n.value) {
        Some(NodeValue::String(name)) if !name.contains("${") => {
            interpolate::variable_name(name, suffix)
        }
        _ => format!("ORDERS_DB_{suffix}"),
    }
}

/// Where a diagnostic goes: file, document, position and JSON pointer.
pub(super) struct Place<'a> {
    path: &'a Path,
    index: usize,
    pos: Position,
    pointer: &'a str,
}

impl<'a> Place<'a> {
    pub(super) fn new(path: &'a Path, index: usize, pos: Position, pointer: &'a str) -> Self {
        Place {
            path,
            index,
            pos,
            pointer,
        }
    }
}

/// The grammar of `auth.connectionString`, its `Password` and its `Port`.
/// A string that is one `${VAR}` is checked once the variable is resolved
/// (plan, apply, check), where its value is known.
fn check_connection_string(
    place: Place<'_>,
    node: &Node,
    text: &str,
    severity: Severity,
    doc: &Node,
    out: &mut Vec<Diagnostic>,
) {
    let NodeValue::String(cs) = &node.value else {
        return;
    };
    if interpolate::is_single_reference(cs) {
        return;
    }
    let (path, index, pointer) = (place.path, place.index, place.pointer);
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
        let variable = example_variable(doc, "PASSWORD");
        out.push(secret_in_plain_text(
            Place::new(path, index, pos(offset), pointer),
            "connection string `Password`",
            &format!("`Password=${{{variable}}}`"),
            severity,
        ));
    }
    if let Some((offset, "3306")) = parsed.get("port") {
        out.push(mysql_port(path, index, pos(offset), pointer));
    }
}

/// V203 for a settings field (`clientSecret`, `accessToken`, `state.url`),
/// its example derived from the field.
pub(super) fn plaintext_secret(
    path: &Path,
    index: usize,
    pos: Position,
    pointer: &str,
    what: &str,
    severity: Severity,
) -> Diagnostic {
    let example = match pointer {
        "/state/url" => {
            "`url: postgres://user:${STATE_DB_PASSWORD}@host:5432/db`, or the whole URL as `${PROVISION_STATE_URL}`"
        }
        "/credentials/accessToken" => "`accessToken: ${AEP_ACCESS_TOKEN}`",
        "/credentials/clientSecret" => "`clientSecret: ${AEP_CLIENT_SECRET}`",
        _ => "`${SECRET}`",
    };
    secret_in_plain_text(
        Place::new(path, index, pos, pointer),
        what,
        example,
        severity,
    )
}

/// The end of V203's help while it is an error.
pub const RELAX_PLAINTEXT_SECRETS: &str = "; `--allow-plaintext-secrets` makes this a warning";

/// V203: a secret written in plain text, with `example` in the help line;
/// the flag that relaxes it is mentioned only while it is an error.
fn secret_in_plain_text(
    place: Place<'_>,
    what: &str,
    example: &str,
    severity: Severity,
) -> Diagnostic {
    let relax = match severity {
        Severity::Error => RELAX_PLAINTEXT_SECRETS,
        Severity::Warning => "",
    };
    Diagnostic::new(
        Code::PlaintextSecret,
        severity,
        place.path,
        place.pos,
        format!("{what} is written in plain text: expected a `${{VAR}}` reference to an environment variable"),
    )
    .in_document(place.index, place.pointer)
    .with_help(format!("e.g. {example}, with the variable set where provision runs{relax}"))
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

/// V209: `server: host:5432`. The platform takes the host alone; a port
/// written into it is either a second port or a host that never resolves.
fn port_in_server(path: &Path, index: usize, node: &Node, server: &str) -> Option<Diagnostic> {
    // `[::1]:5432`, or a host (not a bare IPv6 address) followed by `:digits`.
    let (host, port) = match server.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']')?;
            (host, after.strip_prefix(':')?)
        }
        None => server
            .rsplit_once(':')
            .filter(|(host, _)| !host.contains(':'))?,
    };
    if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        Diagnostic::warning(
            Code::PortInServer,
            path,
            node.pos,
            format!("`server` `{server}` holds a port: expected the host alone"),
        )
        .in_document(index, "/auth/server")
        .with_help(format!("write `server: {host}` and `port: {port}`")),
    )
}

/// `renamedFrom` names are identities too: written literally, like `name`.
fn earlier_names_are_literal(path: &Path, index: usize, doc: &Node, out: &mut Vec<Diagnostic>) {
    let Some(node) = doc.get("renamedFrom") else {
        return;
    };
    let written: Vec<(String, &Node)> = match &node.value {
        NodeValue::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("/renamedFrom/{i}"), item))
            .collect(),
        _ => vec![("/renamedFrom".to_owned(), node)],
    };
    for (pointer, item) in written {
        if let NodeValue::String(name) = &item.value
            && name.contains("${")
        {
            out.push(
                Diagnostic::error(
                    Code::Interpolation,
                    path,
                    item.pos,
                    "`renamedFrom` names earlier identities: `${VAR}` references are not allowed in it"
                        .into(),
                )
                .in_document(index, pointer)
                .with_help("write the earlier name literally, as it was written in `name`"),
            );
        }
    }
}
