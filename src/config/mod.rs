//! User-facing configuration: the types users write in YAML (which are also
//! the JSON Schema), and loading files into values with source positions.

mod connection;
pub mod dataflow;
mod environments;
pub mod interpolate;
mod key;
pub mod load;
mod node;
mod rfc3339;
pub mod schema;
pub(crate) mod secrets;
mod settings;
pub mod walk;
pub mod yaml;

pub use connection::{
    Auth, AzureSslMode, BasicAuth, Cloud, Connection, ConnectionStringAuth, NAME_MAX_CHARS,
    NAME_PATTERN, NameProblem, RenamedFrom, SslMode,
};
pub use dataflow::{
    DATAFLOW_KIND, Dataflow, DataflowKind, DataflowSource, DataflowTarget, DatasetRef, Delta,
    Frequency, MappingEntry, Schedule,
};
pub use key::{ConnectionKey, DataflowKey, KeyError, ResourceKey, ResourceKind};
pub use settings::{
    Credentials, ENVIRONMENT_NAME_PATTERN, EnvironmentSettings, Environments, Mode, OrgSettings,
    Orgs, Settings, StateBackendKind, StateSettings,
};
