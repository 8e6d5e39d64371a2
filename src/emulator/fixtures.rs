//! The emulator's fixture file: datasets for Catalog and tables for
//! explore, in one YAML file (`provision emulator --fixtures FILE`,
//! `--explore FILE`, or `emulator.yaml` at the project root for
//! in-process `--emulator` runs). Unknown keys are errors.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::catalog::DatasetSeed;

/// The largest fixture file read.
const MAX_FIXTURE_BYTES: u64 = 4 * 1024 * 1024;
/// The file in-process `--emulator` runs read when it exists.
pub const PROJECT_FIXTURES: &str = "emulator.yaml";

/// A fixture file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Datasets Catalog serves, in every org and sandbox.
    #[serde(default)]
    pub datasets: Vec<FixtureDataset>,
    /// What explore answers for every base connection.
    #[serde(default)]
    pub explore: Option<FixtureExplore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureDataset {
    pub name: String,
    /// The XDM schema's `$id` (the dataset's `schemaRef.id`).
    pub schema: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureExplore {
    #[serde(default)]
    pub tables: Vec<FixtureTable>,
}

/// One table: `path` as explore's root lists it (`schema.table`), its
/// columns with PostgreSQL type names (`integer`, `text`, `timestamp with time zone`...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureTable {
    pub path: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub columns: Vec<FixtureColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub pg_type: String,
}

/// Why a fixture file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read the fixture file `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the fixture file `{path}` is larger than {MAX_FIXTURE_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("the fixture file `{path}` is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Fixtures {
    /// Reads and checks a fixture file.
    pub fn load(path: &Path) -> Result<Fixtures, FixtureError> {
        let read = |source| FixtureError::Read {
            path: path.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_FIXTURE_BYTES {
            return Err(FixtureError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Fixtures::parse(&text).map_err(|message| FixtureError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// `emulator.yaml` in `root`, when there is one.
    pub fn for_project(root: &Path) -> Result<Option<Fixtures>, FixtureError> {
        let path = root.join(PROJECT_FIXTURES);
        if !path.is_file() {
            return Ok(None);
        }
        Fixtures::load(&path).map(Some)
    }

    /// Parses fixture text (YAML; an empty file is no fixtures).
    pub fn parse(text: &str) -> Result<Fixtures, String> {
        let documents = crate::config::yaml::parse(text).map_err(|e| e.message)?;
        let Some(first) = documents.first() else {
            return Ok(Fixtures::default());
        };
        if documents.len() > 1 {
            return Err("expected one YAML document".into());
        }
        let fixtures: Fixtures =
            serde_json::from_value(first.to_json()).map_err(|e| e.to_string())?;
        for dataset in &fixtures.datasets {
            if dataset.name.trim().is_empty() || dataset.schema.trim().is_empty() {
                return Err("each dataset needs a non-empty `name` and `schema`".into());
            }
        }
        Ok(fixtures)
    }

    /// The datasets as Catalog seeds.
    pub fn dataset_seeds(&self) -> Vec<DatasetSeed> {
        self.datasets
            .iter()
            .map(|d| DatasetSeed {
                name: d.name.clone(),
                schema_id: d.schema.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_unknown_keys_do_not() {
        let text = "datasets:\n  - name: Orders\n    schema: https://ns.adobe.com/acme/schemas/orders\nexplore:\n  tables:\n    - path: public.orders\n      columns:\n        - { name: order_id, type: integer }\n        - { name: updated_at, type: timestamp with time zone }\n";
        let fixtures = Fixtures::parse(text).unwrap_or_default();
        assert_eq!(fixtures.datasets.len(), 1);
        let tables = fixtures.explore.map(|e| e.tables).unwrap_or_default();
        assert_eq!(tables[0].columns[1].pg_type, "timestamp with time zone");
        let why = Fixtures::parse("datasets: []\nwhatever: 1\n")
            .err()
            .unwrap_or_default();
        assert!(why.contains("whatever"), "{why}");
        assert_eq!(Fixtures::parse(""), Ok(Fixtures::default()));
    }
}
