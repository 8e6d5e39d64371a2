//! `/connections/{id}/explore` and `/connections/{id}/test`: what a base
//! connection's server holds, answered from a fixture or, with `--explore
//! live`, from the real PostgreSQL server the connection describes
//! (help/sources/tutorials/api/explore/tabular.md for the shapes).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use url::form_urlencoded;

use super::fixtures::FixtureTable;
use super::gateway::Caller;
use super::{Shared, explore_live, lock, problem};
use crate::api::ingestion::{
    Column, ExploreItem, ExploreSchema, ExploreTable, TestResult, XdmShape,
};

/// Where explore and test answers come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExploreSource {
    /// Neither: explore says how to configure one.
    #[default]
    None,
    /// The PostgreSQL server each base connection describes.
    Live,
    /// The same tables for every base connection.
    Tables(Vec<FixtureTable>),
}

/// A PostgreSQL column type as explore describes it: `type` and the XDM shape.
pub(crate) fn column(name: &str, pg_type: &str) -> Column {
    let pg = pg_type.trim().to_ascii_lowercase();
    let base = pg.split('(').next().unwrap_or("").trim();
    let plain = |kind: &str| Column {
        name: name.to_owned(),
        kind: kind.to_owned(),
        xdm_type: None,
        xdm: XdmShape {
            kind: kind.to_owned(),
            format: None,
        },
    };
    let dated = |format: &str| Column {
        name: name.to_owned(),
        kind: "string".into(),
        xdm_type: Some(format.to_owned()),
        xdm: XdmShape {
            kind: "string".into(),
            format: Some(format.to_owned()),
        },
    };
    match base {
        "smallint" | "int2" | "integer" | "int" | "int4" | "bigint" | "int8" | "smallserial"
        | "serial" | "bigserial" => plain("integer"),
        "real" | "float4" | "double precision" | "float8" | "numeric" | "decimal" | "money" => {
            plain("number")
        }
        "boolean" | "bool" => plain("boolean"),
        "date" => dated("date"),
        t if t.starts_with("timestamp") => dated("date-time"),
        _ => plain("string"),
    }
}

fn root_of(tables: &[FixtureTable]) -> Vec<ExploreItem> {
    tables
        .iter()
        .map(|t| ExploreItem {
            kind: "table".into(),
            name: t.name.clone().unwrap_or_else(|| t.path.clone()),
            path: t.path.clone(),
            can_preview: true,
            can_fetch_schema: true,
        })
        .collect()
}

fn table_of(table: &FixtureTable) -> ExploreTable {
    ExploreTable {
        format: "flat".into(),
        schema: ExploreSchema {
            columns: table
                .columns
                .iter()
                .map(|c| column(&c.name, &c.pg_type))
                .collect(),
        },
    }
}

/// What the request asks: the root, or one table.
enum Asked {
    Root,
    Table(String),
}

fn asked(query: Option<&str>) -> Result<Asked, Response> {
    let mut kind = None;
    let mut object = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "objectType" => kind = Some(value.to_ascii_lowercase()),
            "object" => object = Some(value.into_owned()),
            _ => {}
        }
    }
    match (kind.as_deref(), object) {
        (Some("root"), _) => Ok(Asked::Root),
        (Some("table"), Some(object)) if !object.is_empty() && object.len() <= 512 => {
            Ok(Asked::Table(object))
        }
        (Some("table"), _) => Err(problem::bad_request(
            "`object` is required with `objectType=table`: expected a table `path` from the root",
        )),
        _ => Err(problem::bad_request(
            "`objectType` is required: expected `root` or `table`",
        )),
    }
}

fn unknown_table(path: &str) -> Response {
    let detail = format!(
        "`object={path}` is not a table of this connection: expected a `path` from `objectType=root`"
    );
    problem::bad_request(&detail)
}

pub(super) async fn explore(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let exists = lock(&shared.store)
        .get(&caller.org, &caller.sandbox, &id)
        .is_some();
    if !exists {
        return problem::not_found(&id);
    }
    let asked = match asked(query.as_deref()) {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    match &shared.config.explore {
        ExploreSource::None => problem::flow(
            400,
            "1400-400",
            "Bad Request",
            "the emulator has no tables to explore: start it with `--explore live` (the server each connection describes), `--explore FILE` or a fixture file with `explore.tables`",
        ),
        ExploreSource::Tables(tables) => match asked {
            Asked::Root => Json(root_of(tables)).into_response(),
            Asked::Table(path) => match tables.iter().find(|t| t.path == path) {
                Some(table) => Json(table_of(table)).into_response(),
                None => unknown_table(&path),
            },
        },
        ExploreSource::Live => {
            let target = match explore_live::target(&shared, &caller, &id) {
                Ok(target) => target,
                Err(answer) => return answer,
            };
            match asked {
                Asked::Root => match explore_live::tables(&target).await {
                    Ok(tables) => Json(root_of(&tables)).into_response(),
                    Err(why) => explore_live::unreachable(&why),
                },
                Asked::Table(path) => match explore_live::columns(&target, &path).await {
                    Ok(Some(table)) => Json(table_of(&table)).into_response(),
                    Ok(None) => unknown_table(&path),
                    Err(why) => explore_live::unreachable(&why),
                },
            }
        }
    }
}

pub(super) async fn test(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let exists = lock(&shared.store)
        .get(&caller.org, &caller.sandbox, &id)
        .is_some();
    if !exists {
        return problem::not_found(&id);
    }
    let answer = match &shared.config.explore {
        ExploreSource::Live => match explore_live::target(&shared, &caller, &id) {
            Err(answer) => return answer,
            Ok(target) => match explore_live::tables(&target).await {
                Ok(_) => TestResult {
                    result: true,
                    message: None,
                },
                Err(why) => TestResult {
                    result: false,
                    message: Some(why),
                },
            },
        },
        _ => TestResult {
            result: true,
            message: Some(
                "not checked: the emulator reaches the described server only with `--explore live`"
                    .into(),
            ),
        },
    };
    Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types_map_to_the_documented_shapes() {
        let shape = |t: &str| serde_json::to_value(column("c", t)).unwrap_or_default();
        assert_eq!(
            shape("timestamp with time zone"),
            serde_json::json!({"name": "c", "type": "string", "meta:xdmType": "date-time", "xdm": {"type": "string", "format": "date-time"}})
        );
        assert_eq!(shape("integer")["xdm"]["type"], "integer");
        assert_eq!(shape("numeric(10,2)")["type"], "number");
        assert_eq!(shape("boolean")["type"], "boolean");
        assert_eq!(shape("date")["meta:xdmType"], "date");
        assert_eq!(shape("character varying")["type"], "string");
        assert_eq!(shape("jsonb")["type"], "string");
    }
}
