//! The Catalog lookup under `/data/foundation/catalog`: datasets seeded at
//! start (`--dataset NAME=SCHEMA_ID`, fixtures), the same in every org and
//! sandbox, answered in Catalog's own shape (an object keyed by id, paged by `start`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use url::form_urlencoded;

use super::Shared;
use crate::api::ingestion::{DataSet, SchemaRef, XED_FULL_V1};

/// Most datasets one page returns, and the default.
const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 50;

/// A dataset to serve: its name and the XDM schema it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSeed {
    pub name: String,
    pub schema_id: String,
}

/// The catalog: (id, dataset) in seeding order.
pub(crate) fn build(seeds: &[DatasetSeed]) -> Vec<(String, DataSet)> {
    seeds
        .iter()
        .enumerate()
        .map(|(at, seed)| {
            (
                dataset_id(at, &seed.name),
                DataSet {
                    name: seed.name.clone(),
                    schema_ref: Some(SchemaRef {
                        id: seed.schema_id.clone(),
                        content_type: XED_FULL_V1.into(),
                    }),
                    tags: BTreeMap::from([
                        ("adobe/pqs/table".to_owned(), vec![table_name(&seed.name)]),
                        (
                            "adobe/siphon/table/format".to_owned(),
                            vec!["delta".to_owned()],
                        ),
                    ]),
                    classification: Some(json!({"dataBehavior": "record"})),
                    created: 1_700_000_000_000,
                    updated: 1_700_000_000_000,
                    version: Some("1.0.0".into()),
                    ims_org: None,
                },
            )
        })
        .collect()
}

/// Catalog ids are 24 hex digits; these are stable for a seed list.
fn dataset_id(at: usize, name: &str) -> String {
    let digest = Sha256::digest(format!("{at}:{name}").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The query-service table name Catalog tags a dataset with.
fn table_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A dataset as answered: only `properties` when given (a comma list).
fn shaped(dataset: &DataSet, properties: Option<&[String]>) -> Value {
    let full = serde_json::to_value(dataset).unwrap_or(Value::Null);
    let Some(wanted) = properties else {
        return full;
    };
    let mut kept = Map::new();
    if let Value::Object(map) = full {
        for (key, value) in map {
            if wanted.iter().any(|w| w == &key) {
                kept.insert(key, value);
            }
        }
    }
    Value::Object(kept)
}

fn catalog_error(status: u16, message: &str) -> Response {
    // Catalog's errors are documented without a body; the emulator answers
    // the problem shape the other services use, with a Catalog code.
    let code = format!("CAT-{status}");
    let body = json!({
        "type": format!("https://ns.adobe.com/aep/errors/{code}"),
        "title": if status == 404 { "Not Found" } else { "Bad Request" },
        "status": status,
        "detail": message,
    });
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (status, Json(body)).into_response()
}

pub(super) async fn list(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let mut name = None;
    let mut properties = None;
    let mut limit = DEFAULT_LIMIT;
    let mut start = 0usize;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "name" => name = Some(value.into_owned()),
            "properties" => {
                properties = Some(
                    value
                        .split(',')
                        .map(|p| p.trim().to_owned())
                        .collect::<Vec<_>>(),
                )
            }
            "limit" => match value.parse::<usize>() {
                Ok(n @ 1..=MAX_LIMIT) => limit = n,
                _ => {
                    return catalog_error(
                        400,
                        &format!(
                            "`limit={value}` is not valid: expected an integer from 1 to {MAX_LIMIT}"
                        ),
                    );
                }
            },
            "start" => match value.parse::<usize>() {
                Ok(n) => start = n,
                Err(_) => {
                    return catalog_error(
                        400,
                        &format!("`start={value}` is not valid: expected a non-negative integer"),
                    );
                }
            },
            // Documented filters the emulator does not apply are still
            // checked for their documented types.
            "created" | "updated" if value.parse::<i64>().is_err() => {
                return catalog_error(
                    400,
                    &format!("`{key}={value}` is not valid: expected epoch milliseconds"),
                );
            }
            "enableErrorDiagnostics" if !matches!(value.as_ref(), "true" | "false") => {
                return catalog_error(
                    400,
                    &format!("`{key}={value}` is not valid: expected `true` or `false`"),
                );
            }
            _ => {}
        }
    }
    let mut page = Map::new();
    let matching = shared
        .catalog
        .iter()
        .filter(|(_, d)| name.as_deref().is_none_or(|n| d.name == n))
        .skip(start)
        .take(limit);
    for (id, dataset) in matching {
        page.insert(id.clone(), shaped(dataset, properties.as_deref()));
    }
    Json(Value::Object(page)).into_response()
}

pub(super) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let properties = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "properties")
        .map(|(_, v)| {
            v.split(',')
                .map(|p| p.trim().to_owned())
                .collect::<Vec<_>>()
        });
    match shared.catalog.iter().find(|(known, _)| *known == id) {
        Some((id, dataset)) => {
            let mut one = Map::new();
            one.insert(id.clone(), shaped(dataset, properties.as_deref()));
            Json(Value::Object(one)).into_response()
        }
        None => catalog_error(404, &format!("dataset `{id}` not found")),
    }
}

/// Whether a dataset id exists (a target connection's `params.dataSetId`).
pub(crate) fn exists(shared: &Shared, id: &str) -> bool {
    shared.catalog.iter().any(|(known, _)| known == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_catalog_shaped_and_stable() {
        let seeds = [DatasetSeed {
            name: "Orders".into(),
            schema_id: "https://ns.adobe.com/acme/schemas/o".into(),
        }];
        let (a, b) = (build(&seeds), build(&seeds));
        assert_eq!(a, b);
        assert_eq!(a[0].0.len(), 24);
        assert_eq!(a[0].1.tags["adobe/pqs/table"], vec!["orders".to_owned()]);
        let only = shaped(&a[0].1, Some(&["name".to_owned()]));
        assert_eq!(only, json!({"name": "Orders"}));
    }
}
