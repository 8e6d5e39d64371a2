//! What a dataflow's inputs are resolved against before anything is
//! created: the flow spec by name (looked up once per org and sandbox), a
//! base connection's tables and columns (explore, and the columns a
//! dataflow lists picked from them), and Catalog's datasets by exact name
//! (Catalog lists are objects keyed by id, paged by `start`).

use std::collections::{BTreeMap, HashSet};
use std::sync::PoisonError;

use serde::Deserialize;
use serde_json::Value;

use super::client::{Call, FlowServiceClient};
use super::dataflow::FlowSpecSummary;
use super::error::ApiError;
use super::ingestion::{Column, ExploreItem, ExploreTable};
use super::resource::Resource;
use super::transport::MAX_PAGES;
use super::{ListQuery, Scope};

/// Datasets asked for per Catalog page (its maximum).
const CATALOG_PAGE: usize = 100;

/// A Catalog dataset as a dataflow's target needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSummary {
    pub id: String,
    pub name: String,
    /// `schemaRef.id`: the XDM schema the dataset follows, if it has one.
    pub schema_id: Option<String>,
}

/// The members of a Catalog dataset read here (Catalog sends many more).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogEntry {
    #[serde(default)]
    name: String,
    #[serde(default)]
    schema_ref: Option<Value>,
}

impl CatalogEntry {
    fn summary(self, id: String) -> DatasetSummary {
        let schema_id = self
            .schema_ref
            .as_ref()
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        DatasetSummary {
            id,
            name: self.name,
            schema_id,
        }
    }
}

/// Columns a dataflow lists that the table does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "table `{table}` has no column {}{}: expected one of {}",
    quoted(missing),
    hint(missing, available),
    quoted(available)
)]
pub struct MissingColumns {
    pub table: String,
    pub missing: Vec<String>,
    pub available: Vec<String>,
}

/// " (did you mean `x`?)": a close column for each missing name that
/// has one.
fn hint(missing: &[String], available: &[String]) -> String {
    let names: Vec<&str> = available.iter().map(String::as_str).collect();
    let close: Vec<(&String, &str)> = missing
        .iter()
        .filter_map(|m| crate::suggest::closest(m, &names).map(|c| (m, c)))
        .collect();
    match close.as_slice() {
        [] => String::new(),
        [(_, column)] if missing.len() == 1 => format!(" (did you mean `{column}`?)"),
        _ => {
            let pairs: Vec<String> = close
                .iter()
                .map(|(m, c)| format!("`{c}` for `{m}`"))
                .collect();
            format!(" (did you mean {}?)", pairs.join(", "))
        }
    }
}

/// Names in backticks, comma-separated.
pub(super) fn quoted(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    shown.join(", ")
}

/// The explored columns a dataflow reads: those listed, in the listed
/// order, or every column when none are listed. A listed name the table
/// lacks is an error naming it and the table's columns.
pub fn select_columns(
    table: &str,
    explored: &[Column],
    listed: Option<&[String]>,
) -> Result<Vec<Column>, MissingColumns> {
    let Some(listed) = listed else {
        return Ok(explored.to_vec());
    };
    let find = |name: &String| explored.iter().find(|c| c.name == *name);
    let missing: Vec<String> = listed
        .iter()
        .filter(|n| find(n).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(MissingColumns {
            table: table.to_owned(),
            missing,
            available: explored.iter().map(|c| c.name.clone()).collect(),
        });
    }
    Ok(listed.iter().filter_map(find).cloned().collect())
}

impl FlowServiceClient {
    /// `GET /flowSpecs?property=name=="NAME"`: the spec named exactly
    /// `name`, remembered for the scope once found.
    pub(super) async fn flow_spec_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<FlowSpecSummary>, ApiError> {
        let key = (scope.clone(), name.to_owned());
        if let Some(found) = self
            .flow_specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Some(found.clone()));
        }
        let query = ListQuery::new().eq("name", &format!("\"{name}\""));
        let specs: Vec<FlowSpecSummary> =
            self.list_objects(scope, Resource::FlowSpec, &query).await?;
        let found = specs.into_iter().find(|spec| spec.name == name);
        if let Some(spec) = &found {
            self.flow_specs
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, spec.clone());
        }
        Ok(found)
    }

    /// `GET /connections/{id}/explore?objectType=table&object=TABLE`.
    pub(super) async fn explore_columns(
        &self,
        scope: &Scope,
        base_connection_id: &str,
        table: &str,
    ) -> Result<Vec<Column>, ApiError> {
        let mut url = self.object_url(
            scope,
            Resource::Connection,
            base_connection_id,
            &["explore"],
        );
        url.query_pairs_mut()
            .append_pair("objectType", "table")
            .append_pair("object", table);
        let call = Call::read(Resource::Connection, url, Some(base_connection_id));
        let answer = self.send(scope, &call).await?;
        let explored: ExploreTable = self.json(&answer)?;
        Ok(explored.schema.columns)
    }

    /// `GET /connections/{id}/explore?objectType=root`: what the server holds.
    pub(super) async fn explore_root(
        &self,
        scope: &Scope,
        base_connection_id: &str,
    ) -> Result<Vec<ExploreItem>, ApiError> {
        let mut url = self.object_url(
            scope,
            Resource::Connection,
            base_connection_id,
            &["explore"],
        );
        url.query_pairs_mut().append_pair("objectType", "root");
        let call = Call::read(Resource::Connection, url, Some(base_connection_id));
        let answer = self.send(scope, &call).await?;
        self.json(&answer)
    }

    /// `GET /dataSets?name=NAME&start=…`: every dataset named exactly
    /// `name` (Catalog's filter is not trusted to be exact), page by page
    /// until a short page.
    pub(super) async fn datasets_named(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Vec<DatasetSummary>, ApiError> {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut start = 0usize;
        for _ in 0..MAX_PAGES {
            let mut url = self.collection_url(scope, Resource::Dataset);
            url.query_pairs_mut()
                .append_pair("name", name)
                .append_pair("properties", "name,schemaRef")
                .append_pair("limit", &CATALOG_PAGE.to_string())
                .append_pair("start", &start.to_string());
            let shown = url.to_string();
            let answer = self
                .send(scope, &Call::read(Resource::Dataset, url, None))
                .await?;
            let page: BTreeMap<String, CatalogEntry> = self.json(&answer)?;
            let size = page.len();
            for (id, entry) in page {
                if !seen.insert(id.clone()) {
                    // A page that repeats an earlier one: `start` is ignored.
                    return Err(ApiError::PageLoop { href: shown }.redacted(&self.redactor));
                }
                if entry.name == name {
                    found.push(entry.summary(id));
                }
            }
            if size < CATALOG_PAGE {
                return Ok(found);
            }
            start = start.saturating_add(size);
        }
        Err(ApiError::TooManyPages { max: MAX_PAGES })
    }

    /// `GET /dataSets/{id}`: an object holding the one dataset under its id.
    pub(super) async fn dataset_by_id(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<DatasetSummary, ApiError> {
        let mut url = self.object_url(scope, Resource::Dataset, id, &[]);
        url.query_pairs_mut()
            .append_pair("properties", "name,schemaRef");
        let answer = self
            .send(scope, &Call::read(Resource::Dataset, url, Some(id)))
            .await?;
        let mut one: BTreeMap<String, CatalogEntry> = self.json(&answer)?;
        match one.remove(id) {
            Some(entry) => Ok(entry.summary(id.to_owned())),
            None => Err(ApiError::NotFound {
                what: Resource::Dataset,
                id: id.into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ingestion::XdmShape;

    fn column(name: &str, kind: &str) -> Column {
        Column {
            name: name.into(),
            kind: kind.into(),
            xdm_type: None,
            xdm: XdmShape {
                kind: kind.into(),
                format: None,
            },
        }
    }

    fn names(columns: &[Column]) -> Vec<&str> {
        columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn explored() -> Vec<Column> {
        vec![
            column("order_id", "integer"),
            column("customer_name", "string"),
            column("updated_at", "string"),
        ]
    }

    #[test]
    fn columns_are_the_listed_ones_in_the_listed_order_or_all() {
        let listed = ["updated_at".to_owned(), "order_id".to_owned()];
        let chosen = select_columns("public.orders", &explored(), Some(&listed));
        assert_eq!(
            chosen.as_deref().map(names).ok(),
            Some(vec!["updated_at", "order_id"])
        );
        let all = select_columns("public.orders", &explored(), None).unwrap_or_default();
        assert_eq!(names(&all), ["order_id", "customer_name", "updated_at"]);
        let wrong = ["order_id".to_owned(), "total".to_owned()];
        let err = select_columns("public.orders", &explored(), Some(&wrong))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "table `public.orders` has no column `total`: expected one of `order_id`, `customer_name`, `updated_at`"
            )
        );
    }

    #[test]
    fn a_missing_column_close_to_one_the_table_has_is_suggested() {
        let typo = ["ordr_id".to_owned()];
        let err = select_columns("public.orders", &explored(), Some(&typo))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "table `public.orders` has no column `ordr_id` (did you mean `order_id`?): expected one of `order_id`, `customer_name`, `updated_at`"
            )
        );
        let two = [
            "ordr_id".to_owned(),
            "updatd_at".to_owned(),
            "zzz".to_owned(),
        ];
        let err = select_columns("public.orders", &explored(), Some(&two))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("(did you mean `order_id` for `ordr_id`, `updated_at` for `updatd_at`?)"),
            "{err}"
        );
    }
}
