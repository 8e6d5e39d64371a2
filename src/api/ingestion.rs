//! Wire shapes of the ingestion path after a base connection (source and
//! target connections, flows, runs, explore, Data Prep mapping sets, Catalog
//! datasets), shared by the client and the emulator, after Adobe's OpenAPI
//! files and database tutorial (`AdobeDocs/experience-platform.en`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The data lake target's connection spec (a target connection's `connectionSpec.id`).
pub const DATA_LAKE_SPEC_ID: &str = "c604ff05-7f1a-43c0-8e18-33bf874cb11c";
/// The flow spec for table sources into the data lake.
pub const CRM_TO_AEP_SPEC_ID: &str = "14518937-270c-4525-bdec-c2ba7cce3860";
pub const CRM_TO_AEP_NAME: &str = "CRMToAEP";
/// `data.schema.version` of a target connection and the mapping set's schema content type.
pub const XED_FULL_V1: &str = "application/vnd.adobe.xed-full+json;version=1";
/// A source connection's `data.format` for every table-based source.
pub const TABULAR: &str = "tabular";

/// One entry of `GET /connections/{id}/explore?objectType=root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExploreItem {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub path: String,
    pub can_preview: bool,
    pub can_fetch_schema: bool,
}

/// `GET /connections/{id}/explore?objectType=table&object=TABLE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreTable {
    pub format: String,
    pub schema: ExploreSchema,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreSchema {
    pub columns: Vec<Column>,
}

/// A column as explore describes it and as `params.columns` of a source
/// connection carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(
        rename = "meta:xdmType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub xdm_type: Option<String>,
    pub xdm: XdmShape,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XdmShape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `GET /connections/{id}/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    pub result: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Data Prep's answer to `POST /mappingSets` (200, not 201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingSetCreated {
    pub id: String,
    pub version: i64,
    pub created_date: i64,
    pub modified_date: i64,
    pub created_by: String,
    pub modified_by: String,
}

/// Data Prep's list page: `data` plus `_page`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingSetPage {
    #[serde(default)]
    pub data: Vec<Value>,
    #[serde(rename = "_page", default)]
    pub page: PageInfo,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub count: u64,
    pub limit: u64,
}

/// One Catalog dataset, with the fields clients read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSet {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_ref: Option<SchemaRef>,
    #[serde(default)]
    pub tags: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Value>,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub updated: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ims_org: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRef {
    pub id: String,
    pub content_type: String,
}

/// Catalog lists: an object keyed by dataset id.
pub type DataSetMap = BTreeMap<String, DataSet>;

/// `POST /mappingSets` in the current dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMappingSet {
    pub name: String,
    pub output_schema: OutputSchema,
    pub mappings: Vec<Mapping>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputSchema {
    pub schema_ref: SchemaRef,
}

/// One mapping: `sourceType` `ATTRIBUTE` (a column) or `EXPRESSION`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub source_type: String,
    pub source: String,
    pub destination: String,
}

/// `sourceType` of a mapping from a column.
pub const ATTRIBUTE: &str = "ATTRIBUTE";
/// `sourceType` of a mapping from a Data Prep expression.
pub const EXPRESSION: &str = "EXPRESSION";
/// The older dialect's `sourceType` for an expression.
const OLDER_EXPRESSION: &str = "text/x.aep-xl";

/// One mapping set version as Data Prep answers it, read in either dialect
/// (`outputSchema.schemaRef` with `source`/`destination`, or the older
/// `xdmSchema` with `sourceAttribute`/`destinationXdmPath`) into the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawMappingSet")]
pub struct MappingSetItem {
    pub id: String,
    pub name: String,
    pub version: i64,
    /// The target XDM schema's `$id`.
    pub schema_id: String,
    pub mappings: Vec<Mapping>,
    /// The destinations of mappings with identity or namespace settings
    /// (`identity`, `primaryIdentity`, `identityGroup`, `namespaceCode`),
    /// which [`Mapping`] does not carry: a reader that rewrites the set
    /// from `mappings` alone would drop them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_destinations: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMappingSet {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    output_schema: Option<Value>,
    #[serde(default)]
    xdm_schema: Option<String>,
    #[serde(default)]
    mappings: Vec<RawMapping>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMapping {
    #[serde(default)]
    source_type: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    source_attribute: Option<String>,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default)]
    destination_xdm_path: Option<String>,
    #[serde(default)]
    identity: Option<Value>,
    #[serde(default)]
    primary_identity: Option<Value>,
    #[serde(default)]
    identity_group: Option<Value>,
    #[serde(default)]
    namespace_code: Option<Value>,
}

impl RawMapping {
    /// Whether any identity or namespace setting is on (`false`, `null`
    /// and `""` are what the older dialect sends when there is none).
    fn uses_identity(&self) -> bool {
        [
            &self.identity,
            &self.primary_identity,
            &self.identity_group,
            &self.namespace_code,
        ]
        .into_iter()
        .flatten()
        .any(|v| !matches!(v, Value::Null | Value::Bool(false)) && v.as_str() != Some(""))
    }
}

impl From<RawMapping> for Mapping {
    fn from(raw: RawMapping) -> Self {
        let source_type = match raw.source_type.as_deref() {
            None => ATTRIBUTE.to_owned(),
            Some(OLDER_EXPRESSION) => EXPRESSION.to_owned(),
            Some(other) => other.to_ascii_uppercase(),
        };
        Mapping {
            source_type,
            source: raw.source.or(raw.source_attribute).unwrap_or_default(),
            destination: raw
                .destination
                .or(raw.destination_xdm_path)
                .unwrap_or_default(),
        }
    }
}

impl From<RawMappingSet> for MappingSetItem {
    fn from(raw: RawMappingSet) -> Self {
        let current = raw
            .output_schema
            .as_ref()
            .and_then(|o| o.pointer("/schemaRef/id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let identity_destinations = raw
            .mappings
            .iter()
            .filter(|m| m.uses_identity())
            .map(|m| {
                m.destination
                    .clone()
                    .or_else(|| m.destination_xdm_path.clone())
                    .unwrap_or_default()
            })
            .collect();
        MappingSetItem {
            id: raw.id.unwrap_or_default(),
            name: raw.name.unwrap_or_default(),
            version: raw.version.unwrap_or_default(),
            schema_id: current.or(raw.xdm_schema).unwrap_or_default(),
            mappings: raw.mappings.into_iter().map(Mapping::from).collect(),
            identity_destinations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_and_write_the_tutorial_shape() {
        let text = r#"{"name":"Datefield","type":"string","meta:xdmType":"date-time","xdm":{"type":"string","format":"date-time"}}"#;
        let column: Column = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(column.xdm_type.as_deref(), Some("date-time"));
        assert_eq!(serde_json::to_string(&column).ok().as_deref(), Some(text));
    }

    #[test]
    fn mapping_sets_read_both_dialects_into_the_current_one() {
        let current = r#"{"id":"m1","name":"orders","version":2,
            "outputSchema":{"schemaRef":{"id":"https://ns.adobe.com/acme/schemas/o","contentType":"x"}},
            "mappings":[{"sourceType":"ATTRIBUTE","source":"order_id","destination":"_id"},
                        {"sourceType":"EXPRESSION","source":"upper(name)","destination":"person.name"}]}"#;
        let older = r#"{"id":"m1","name":"orders","version":2,"xdmSchema":"https://ns.adobe.com/acme/schemas/o",
            "xdmVersion":"1.0","mappings":[{"sourceAttribute":"order_id","destinationXdmPath":"_id","identity":false},
            {"sourceType":"text/x.aep-xl","sourceAttribute":"upper(name)","destinationXdmPath":"person.name"}]}"#;
        let read: Vec<MappingSetItem> = [current, older]
            .iter()
            .map(|t| serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert_eq!(read[0], read[1]);
        assert_eq!(read[0].schema_id, "https://ns.adobe.com/acme/schemas/o");
        assert_eq!(read[0].mappings[1].source_type, EXPRESSION);
        assert_eq!(read[0].mappings[0].source, "order_id");
        assert!(read[0].identity_destinations.is_empty());
    }

    #[test]
    fn identity_settings_are_noticed_in_both_dialects() {
        let current = r#"{"id":"m1","name":"o","version":0,"mappings":[
            {"sourceType":"ATTRIBUTE","source":"email","destination":"person.email","identityGroup":"g1","namespaceCode":"Email"},
            {"sourceType":"ATTRIBUTE","source":"id","destination":"_id","identity":false,"namespaceCode":null}]}"#;
        let older = r#"{"id":"m1","name":"o","version":0,"mappings":[
            {"sourceAttribute":"email","destinationXdmPath":"person.email","identity":true}]}"#;
        for text in [current, older] {
            let read: MappingSetItem = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(read.identity_destinations, ["person.email"], "{text}");
        }
    }
}
