//! `/flowSpecs`: the one flow spec table sources use (`CRMToAEP`, as Adobe's
//! database tutorial documents it), and the checks a flow gets against that
//! spec's own `scheduleSpec` and `transformationSpec` schemas.

use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use jsonschema::Validator;
use serde_json::{Value, json};

use super::{Shared, listing, problem};

/// The documented `CRMToAEP` payload (help/sources/tutorials/api/collect/database-nosql.md).
const CRM_TO_AEP: &str = include_str!("crm_to_aep.json");

struct Compiled {
    spec: Value,
    schedule: Option<Validator>,
    transformations: Vec<(String, Option<Validator>)>,
}

fn compiled() -> &'static Compiled {
    static CELL: OnceLock<Compiled> = OnceLock::new();
    CELL.get_or_init(|| {
        let spec: Value = serde_json::from_str(CRM_TO_AEP).unwrap_or(Value::Null);
        let build = |schema: Option<&Value>| {
            schema.and_then(|s| {
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(s)
                    .ok()
            })
        };
        let schedule = build(spec.pointer("/scheduleSpec/spec"));
        let transformations = spec
            .get("transformationSpec")
            .and_then(Value::as_array)
            .map(|specs| {
                specs
                    .iter()
                    .map(|t| {
                        let name = t.get("name").and_then(Value::as_str).unwrap_or("");
                        (name.to_owned(), build(t.get("spec")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Compiled {
            spec,
            schedule,
            transformations,
        }
    })
}

/// The flow specs the emulator knows.
pub(crate) fn all() -> Vec<Value> {
    vec![compiled().spec.clone()]
}

/// A flow spec by id and version.
pub(crate) fn find(id: &str) -> Option<&'static Value> {
    let spec = &compiled().spec;
    (spec.get("id").and_then(Value::as_str) == Some(id)).then_some(spec)
}

/// Whether `spec` lists `connection_spec` under `list` (`sourceConnectionSpecIds`...).
pub(crate) fn lists(spec: &Value, list: &str, connection_spec: &str) -> bool {
    spec.get(list)
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(connection_spec)))
}

/// `scheduleParams` with numeric and boolean strings turned into numbers
/// and booleans, as the service reads the tutorial's all-string form.
pub(crate) fn coerced(params: &Value) -> Value {
    let mut params = params.clone();
    if let Some(map) = params.as_object_mut() {
        for (key, value) in map.iter_mut() {
            let Value::String(text) = value else { continue };
            let text = text.trim();
            match key.as_str() {
                "startTime" | "interval" => {
                    if let Ok(n) = text.parse::<i64>() {
                        *value = json!(n);
                    }
                }
                "backfill" => match text {
                    "true" => *value = json!(true),
                    "false" => *value = json!(false),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    params
}

/// Checks `scheduleParams` against the flow spec's `scheduleSpec`, numeric
/// strings coerced first; the error names the field and the rule.
pub(crate) fn check_schedule(params: &Value) -> Result<(), String> {
    let Some(validator) = &compiled().schedule else {
        return Ok(());
    };
    let coerced = coerced(params);
    let problems: Vec<String> = validator
        .iter_errors(&coerced)
        .map(|e| {
            let at = e.instance_path().to_string();
            let field = if at.is_empty() {
                "scheduleParams".to_owned()
            } else {
                format!("scheduleParams{}", at.replace('/', "."))
            };
            format!("`{field}`: {}", describe(&e.to_string()))
        })
        .collect();
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{} (the flow spec's scheduleSpec: `once` takes neither `interval` nor `backfill`; `minute` needs an interval of at least 15, the others at least 1)",
            problems.join("; ")
        )),
    }
}

/// A validator message without the instance's own text (the value may be long).
fn describe(message: &str) -> String {
    message.chars().take(200).collect()
}

/// Checks transformations against the flow spec's `transformationSpec`:
/// known names, params valid (a numeric `mappingVersion` is read as the
/// tutorial sends it). Returns the names in order.
pub(crate) fn check_transformations(transformations: &Value) -> Result<Vec<String>, String> {
    let Some(items) = transformations.as_array() else {
        return Err("`transformations` must be an array".into());
    };
    let known = &compiled().transformations;
    let mut names = Vec::new();
    for (at, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let Some((_, validator)) = known.iter().find(|(n, _)| n == name) else {
            let expected: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "`transformations.{at}.name` `{name}` is not in the flow spec: expected one of {}",
                expected.join(", ")
            ));
        };
        let mut params = item.get("params").cloned().unwrap_or(json!({}));
        if let Some(version) = params.get_mut("mappingVersion")
            && version.is_number()
        {
            *version = json!(version.to_string());
        }
        if let Some(validator) = validator
            && let Some(error) = validator.iter_errors(&params).next()
        {
            return Err(format!(
                "`transformations.{at}.params{}`: {}",
                error.instance_path().to_string().replace('/', "."),
                describe(&error.to_string())
            ));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

pub(super) async fn list(
    State(_shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let listing = match listing::parse(query.as_deref(), None) {
        Ok(listing) => listing,
        Err(refused) => return problem::flow(400, refused.code, "Bad Request", &refused.detail),
    };
    let specs = all();
    let selected: Vec<Value> = listing.select(&specs).into_iter().cloned().collect();
    if listing.count {
        return Json(json!({"count": selected.len()})).into_response();
    }
    Json(json!({"items": selected})).into_response()
}

pub(super) async fn get_one(Path(id): Path<String>) -> Response {
    match find(&id) {
        Some(spec) => Json(json!({"items": [spec]})).into_response(),
        None => problem::flow(
            404,
            "1439-404",
            "Not Found",
            &format!("flow spec `{id}` not found"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_parses_and_lists_postgres() {
        let spec = find(crate::api::ingestion::CRM_TO_AEP_SPEC_ID);
        assert!(spec.is_some_and(|s| lists(
            s,
            "sourceConnectionSpecIds",
            crate::api::wire::POSTGRES_SPEC_ID
        )));
        assert!(compiled().schedule.is_some());
        assert_eq!(compiled().transformations.len(), 2);
    }

    #[test]
    fn schedules_follow_the_spec_after_coercion() {
        let ok = |v: Value| check_schedule(&v).is_ok();
        assert!(ok(
            json!({"startTime": "1612310466", "frequency": "minute", "interval": "15", "backfill": "true"})
        ));
        assert!(ok(
            json!({"startTime": 1612310466, "frequency": "hour", "interval": 1, "backfill": false})
        ));
        assert!(ok(json!({"startTime": 1612310466, "frequency": "once"})));
        assert!(!ok(
            json!({"startTime": 1612310466, "frequency": "minute", "interval": "14"})
        ));
        assert!(!ok(
            json!({"startTime": 1612310466, "frequency": "once", "interval": 1})
        ));
        assert!(!ok(
            json!({"startTime": 1612310466, "frequency": "once", "backfill": true})
        ));
        assert!(!ok(json!({"startTime": 1612310466, "frequency": "day"})));
        assert!(!ok(
            json!({"startTime": 1, "frequency": "fortnight", "interval": 1})
        ));
        let why = check_schedule(&json!({"startTime": 1, "frequency": "minute", "interval": 5}))
            .err()
            .unwrap_or_default();
        assert!(why.contains("scheduleParams.interval"), "{why}");
    }

    #[test]
    fn transformations_must_be_the_specs() {
        let good = json!([
            {"name": "Copy", "params": {"deltaColumn": {"name": "updated_at"}}},
            {"name": "Mapping", "params": {"mappingId": "m", "mappingVersion": 0}}
        ]);
        assert_eq!(
            check_transformations(&good).ok(),
            Some(vec!["Copy".to_owned(), "Mapping".to_owned()])
        );
        assert!(check_transformations(&json!([{"name": "Copy", "params": {}}])).is_err());
        assert!(check_transformations(&json!([{"name": "Filter", "params": {}}])).is_err());
    }
}
