//! What the emulated service accepts in a create body and a JSON Patch:
//! the PostgreSQL spec, the auth forms each cloud allows, string params.
//! Errors name the offending field, never its value (it may be a secret).

use serde_json::{Map, Value};

use super::problem;
use crate::api::wire::{
    BASIC_AUTH, CONNECTION_STRING_AUTH, POSTGRES_SPEC_ID, POSTGRES_SPEC_VERSION, PatchKind, PatchOp,
};
use crate::config::{AzureSslMode, Cloud};
use crate::secret::{MASK, SECRET_PARAMS};

use axum::response::Response;

/// A create body that passed the checks, secrets already masked.
pub(super) struct NewConnection {
    pub name: String,
    pub description: Option<String>,
    pub spec_name: String,
    pub params: Map<String, Value>,
}

/// Checks a create body for an org on `cloud` (`None`: either cloud's forms).
pub(super) fn check_create(body: &Value, cloud: Option<Cloud>) -> Result<NewConnection, Response> {
    let bad = |detail: &str| problem::bad_request(detail);
    let object = body
        .as_object()
        .ok_or_else(|| bad("request body must be a JSON object"))?;
    let name = match object.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= 256 => name.clone(),
        _ => {
            return Err(bad(
                "`name` is required: expected a non-empty string of at most 256 characters",
            ));
        }
    };
    let description = match object.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(bad("`description` must be a string")),
    };
    let spec = object.get("connectionSpec");
    if spec.and_then(|s| s.get("id")).and_then(Value::as_str) != Some(POSTGRES_SPEC_ID) {
        return Err(bad(
            "`connectionSpec.id` is not a known connection spec: expected the PostgreSQL spec id",
        ));
    }
    if spec.and_then(|s| s.get("version")).and_then(Value::as_str) != Some(POSTGRES_SPEC_VERSION) {
        return Err(bad("`connectionSpec.version` must be `1.0`"));
    }
    let auth = object
        .get("auth")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("`auth` is required: expected an object"))?;
    let spec_name = auth.get("specName").and_then(Value::as_str).unwrap_or("");
    let params = auth
        .get("params")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("`auth.params` is required: expected an object"))?;
    let params = match spec_name {
        CONNECTION_STRING_AUTH if cloud == Some(Cloud::Aws) => {
            return Err(unknown_spec(
                "`Connection String Based Authentication` is not available for aws orgs",
            ));
        }
        CONNECTION_STRING_AUTH => check_connection_string(params)?,
        BASIC_AUTH => check_basic(params, cloud)?,
        _ => {
            return Err(unknown_spec(
                "`auth.specName` is not a known auth spec for this connection spec",
            ));
        }
    };
    Ok(NewConnection {
        name,
        description,
        spec_name: spec_name.into(),
        params,
    })
}

fn unknown_spec(detail: &str) -> Response {
    problem::flow(400, "1415-400", "Bad Request", detail)
}

fn check_connection_string(params: &Map<String, Value>) -> Result<Map<String, Value>, Response> {
    match params.get("connectionString") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(masked(params)),
        _ => Err(problem::bad_request(
            "`auth.params.connectionString` is required: expected a non-empty string",
        )),
    }
}

fn check_basic(
    params: &Map<String, Value>,
    cloud: Option<Cloud>,
) -> Result<Map<String, Value>, Response> {
    for field in ["server", "database", "username", "password"] {
        match params.get(field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => {
                let detail =
                    format!("`auth.params.{field}` is required: expected a non-empty string");
                return Err(problem::bad_request(&detail));
            }
        }
    }
    let port = match params.get("port") {
        Some(Value::String(s)) => s.parse::<u16>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        _ => None,
    };
    let Some(port) = port.filter(|p| *p > 0) else {
        return Err(problem::bad_request(
            "`auth.params.port` is required: expected a port from 1 to 65535",
        ));
    };
    let ssl = params.get("sslMode").map(|v| match v {
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    });
    let aws_ok = |s: &str| s == "true" || s == "false";
    let azure_ok = |s: &str| AzureSslMode::ALL.contains(&s);
    let ok = match (&ssl, cloud) {
        (None, _) => true,
        (Some(s), Some(Cloud::Aws)) => aws_ok(s),
        (Some(s), Some(Cloud::Azure)) => azure_ok(s),
        (Some(s), None) => aws_ok(s) || azure_ok(s),
    };
    if !ok {
        let expected = match cloud {
            Some(Cloud::Aws) => "`true` or `false`".to_owned(),
            _ => AzureSslMode::ALL.map(|m| format!("`{m}`")).join(", "),
        };
        return Err(problem::bad_request(&format!(
            "`auth.params.sslMode` is not valid: expected {expected}"
        )));
    }
    let mut params = masked(params);
    params.insert("port".into(), Value::String(port.to_string()));
    if let Some(ssl) = ssl {
        params.insert("sslMode".into(), Value::String(ssl));
    }
    Ok(params)
}

/// The params as stored and returned: secrets replaced by `********`.
pub(super) fn masked(params: &Map<String, Value>) -> Map<String, Value> {
    let mut params = params.clone();
    for key in SECRET_PARAMS {
        if let Some(value) = params.get_mut(key) {
            *value = Value::String(MASK.into());
        }
    }
    params
}

/// The editable parts of a connection a JSON Patch works on.
pub(super) struct Editable<'a> {
    pub name: &'a mut String,
    pub description: &'a mut Option<String>,
    pub params: &'a mut Map<String, Value>,
}

/// Applies JSON Patch ops to a copy's editable parts with RFC 6902
/// semantics (`add` sets a member whether or not it exists; `replace` and
/// `remove` need it to exist); any bad op rejects all.
pub(super) fn apply_patch(ops: &[PatchOp], target: Editable<'_>) -> Result<(), Response> {
    for op in ops {
        if op.op != PatchKind::Remove && op.value.is_none() {
            let detail = format!(
                "patch op `{}` of `{}` is missing the field `value`",
                kind_name(op.op),
                op.path
            );
            return Err(problem::flow(400, "1455-400", "Bad Request", &detail));
        }
        let value = op.value.clone().unwrap_or(Value::Null);
        match op.path.as_str() {
            "/name" => match (op.op, value) {
                (PatchKind::Remove, _) => return Err(bad_op(op, "`/name` cannot be removed")),
                (_, Value::String(name)) if !name.trim().is_empty() && name.len() <= 256 => {
                    *target.name = name;
                }
                _ => {
                    return Err(bad_op(
                        op,
                        "expected a non-empty string of at most 256 characters",
                    ));
                }
            },
            "/description" => match (op.op, value) {
                (PatchKind::Add, Value::String(text)) => *target.description = Some(text),
                (PatchKind::Replace, Value::String(text)) if target.description.is_some() => {
                    *target.description = Some(text);
                }
                (PatchKind::Remove, _) if target.description.is_some() => {
                    *target.description = None
                }
                (PatchKind::Replace | PatchKind::Remove, _) => return Err(absent(op)),
                _ => return Err(bad_op(op, "expected a string")),
            },
            "/auth/params" => match (op.op, value) {
                (PatchKind::Add | PatchKind::Replace, Value::Object(params)) => {
                    *target.params = masked(&params);
                }
                _ => return Err(bad_op(op, "expected an object of parameters")),
            },
            path if path.starts_with("/auth/params/") => {
                let field = &path["/auth/params/".len()..];
                if field.is_empty() || field.contains('/') {
                    return Err(bad_op(op, "expected `/auth/params/{field}`"));
                }
                let exists = target.params.contains_key(field);
                match op.op {
                    PatchKind::Remove if exists => {
                        target.params.remove(field);
                    }
                    PatchKind::Replace | PatchKind::Remove if !exists => return Err(absent(op)),
                    _ => {
                        let mut one = Map::new();
                        one.insert(field.into(), value);
                        target.params.extend(masked(&one));
                    }
                }
            }
            path if path.starts_with("/connectionSpec") => {
                return Err(problem::flow(
                    400,
                    "1414-400",
                    "Bad Request",
                    "connectionSpec cannot be changed",
                ));
            }
            path => {
                let detail = format!(
                    "patch of `{path}` is not supported: expected `/name`, `/description`, `/auth/params` or `/auth/params/{{field}}`"
                );
                return Err(problem::bad_request(&detail));
            }
        }
    }
    Ok(())
}

fn kind_name(kind: PatchKind) -> &'static str {
    match kind {
        PatchKind::Add => "add",
        PatchKind::Replace => "replace",
        PatchKind::Remove => "remove",
    }
}

fn bad_op(op: &PatchOp, expected: &str) -> Response {
    problem::bad_request(&format!(
        "patch op `{}` of `{}` is not valid: {expected}",
        kind_name(op.op),
        op.path
    ))
}

/// RFC 6902: `replace` and `remove` need the member to exist.
fn absent(op: &PatchOp) -> Response {
    problem::bad_request(&format!(
        "patch op `{}` of `{}`: the path does not exist (use `add` to set a member that may be absent)",
        kind_name(op.op),
        op.path
    ))
}
