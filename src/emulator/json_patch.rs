//! RFC 6902 patches on the ingestion objects' JSON, limited to the members a
//! caller may edit. `op` is read in any case: Adobe's OpenAPI file writes
//! `ADD`/`REPLACE`, its Python client sends `Add`, the tutorials `replace`.

use axum::response::Response;
use serde_json::Value;

use super::problem;
use crate::api::wire::{PatchKind, PatchOp};

/// Most operations one PATCH may carry.
const MAX_OPS: usize = 100;

/// Parses a PATCH body: a non-empty array of ops, `op` in any case.
pub(crate) fn parse_ops(body: &[u8]) -> Result<Vec<PatchOp>, Response> {
    let bad = |detail: String| problem::bad_request(&detail);
    let mut value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("request body is not valid: {e}")))?;
    let Some(ops) = value.as_array_mut() else {
        return Err(bad(
            "request body must be a JSON Patch array of operations".into()
        ));
    };
    if ops.is_empty() || ops.len() > MAX_OPS {
        return Err(bad(format!(
            "request body must hold from 1 to {MAX_OPS} operations"
        )));
    }
    for op in ops.iter_mut() {
        if let Some(Value::String(kind)) = op.get_mut("op") {
            *kind = kind.to_ascii_lowercase();
        }
    }
    serde_json::from_value(value).map_err(|e| {
        bad(format!(
            "request body is not valid: {e}: expected ops `add`, `replace` or `remove`"
        ))
    })
}

/// Lowercase name of an op, for messages.
pub(crate) fn op_name(kind: PatchKind) -> &'static str {
    match kind {
        PatchKind::Add => "add",
        PatchKind::Replace => "replace",
        PatchKind::Remove => "remove",
    }
}

/// Applies `ops` to `doc`; each path must start with one of `editable`
/// (`/name`, `/scheduleParams`...). RFC 6902: `replace` and `remove` need
/// the member to exist, `add` on an array index inserts. Any bad op rejects all.
pub(crate) fn apply(doc: &mut Value, ops: &[PatchOp], editable: &[&str]) -> Result<(), Response> {
    for op in ops {
        let allowed = editable
            .iter()
            .any(|root| op.path == *root || op.path.starts_with(&format!("{root}/")));
        if !allowed {
            let detail = format!(
                "patch of `{}` is not supported: expected a path under {}",
                op.path,
                editable
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Err(problem::bad_request(&detail));
        }
        if op.op != PatchKind::Remove && op.value.is_none() {
            let detail = format!(
                "patch op `{}` of `{}` is missing the field `value`",
                op_name(op.op),
                op.path
            );
            return Err(problem::flow(400, "1455-400", "Bad Request", &detail));
        }
        one(doc, op).map_err(|why| {
            problem::bad_request(&format!(
                "patch op `{}` of `{}`: {why}",
                op_name(op.op),
                op.path
            ))
        })?;
    }
    Ok(())
}

fn one(doc: &mut Value, op: &PatchOp) -> Result<(), String> {
    let (parent_path, last) = op
        .path
        .rsplit_once('/')
        .ok_or_else(|| "the path is not a JSON pointer".to_owned())?;
    let key = last.replace("~1", "/").replace("~0", "~");
    let parent = doc
        .pointer_mut(parent_path)
        .ok_or_else(|| "the path does not exist".to_owned())?;
    let value = op.value.clone().unwrap_or(Value::Null);
    match parent {
        Value::Object(map) => match op.op {
            PatchKind::Add => {
                map.insert(key, value);
            }
            PatchKind::Replace if map.contains_key(&key) => {
                map.insert(key, value);
            }
            PatchKind::Remove if map.contains_key(&key) => {
                map.remove(&key);
            }
            _ => {
                return Err(
                    "the path does not exist (use `add` to set a member that may be absent)".into(),
                );
            }
        },
        Value::Array(items) => {
            let at = if key == "-" && op.op == PatchKind::Add {
                items.len()
            } else {
                key.parse::<usize>()
                    .map_err(|_| format!("`{key}` is not an array index"))?
            };
            match op.op {
                PatchKind::Add if at <= items.len() => items.insert(at, value),
                PatchKind::Replace if at < items.len() => {
                    if let Some(slot) = items.get_mut(at) {
                        *slot = value;
                    }
                }
                PatchKind::Remove if at < items.len() => {
                    items.remove(at);
                }
                _ => return Err(format!("index {at} is out of range")),
            }
        }
        _ => return Err("the parent of the path is not an object or an array".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ops_in_any_case_and_pointer_semantics() {
        let ops = parse_ops(br#"[{"op":"REPLACE","path":"/name","value":"b"},{"op":"Add","path":"/t/1","value":2},{"op":"remove","path":"/s/x"}]"#)
            .unwrap_or_default();
        assert_eq!(ops.len(), 3);
        let mut doc = json!({"name": "a", "t": [1, 3], "s": {"x": 1}});
        assert!(apply(&mut doc, &ops, &["/name", "/t", "/s"]).is_ok());
        assert_eq!(doc, json!({"name": "b", "t": [1, 2, 3], "s": {}}));
        let refused = [PatchOp::replace("/s/absent", json!(1))];
        assert!(apply(&mut doc, &refused, &["/s"]).is_err());
        let elsewhere = [PatchOp::replace("/id", json!("x"))];
        assert!(apply(&mut doc, &elsewhere, &["/name"]).is_err());
        assert!(parse_ops(b"[]").is_err());
        assert!(parse_ops(br#"[{"op":"move","path":"/a"}]"#).is_err());
    }
}
