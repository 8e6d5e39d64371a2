//! `provision state list|show|rm|protect|unprotect|import|unlock|migrate`:
//! inspect, repair and move state. The state commands take only the flags
//! that choose a state (they never call the Flow Service), except `state
//! import`, which reads the connection (or a dataflow's flow and what it
//! joins) from the platform.

use clap::{Args, Subcommand};

use super::args::{ConfigArgs, ResultFormat, TargetArgs};
use super::state_migrate;
use super::state_target::StateArgs;
use super::state_target::{backend, selected};
use crate::config::{DataflowKey, ResourceKey};
use crate::desired::Environment;
use crate::error::{Result, Status};
use crate::escape::escape_value;
use crate::import;
use crate::output;
use crate::reporter::{self, StateList, StateShow};
use crate::state::{DataflowRecord, Part};
use crate::workspace::recorded::{self, Recorded};
use crate::workspace::{self, Workspace, dataflow_import};

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// List the recorded connections and dataflows.
    List(StateListArgs),
    /// Show one record (as JSON unless `--format text`).
    Show(StateShowArgs),
    /// Forget a connection or dataflow (it stays on the platform).
    Rm(StateKeyArgs),
    /// Mark a recorded connection or dataflow protected: no plan deletes it.
    Protect(StateKeyArgs),
    /// Clear a connection's or dataflow's protect mark, so that `--prune`
    /// may delete it once its document is gone.
    Unprotect(StateKeyArgs),
    /// Record an existing platform connection under KEY.
    Import(StateImportArgs),
    /// Clear the lock details left by a run that died.
    Unlock(StateArgs),
    /// Copy the current state to another backend: `--to postgres://...` or
    /// `--to FILE`; refuses a target that already holds connections. With
    /// `--to-env NAME`: move the state from before environments into NAME's.
    Migrate(state_migrate::StateMigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StateListArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ResultFormat,
}

#[derive(Debug, Args)]
pub(crate) struct StateShowArgs {
    #[command(flatten)]
    pub record: StateKeyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ResultFormat,
}

#[derive(Debug, Args)]
pub(crate) struct StateKeyArgs {
    /// `cloud/sandbox/name`, e.g. `azure/prod/orders-db`, or
    /// `dataflow/cloud/sandbox/name` for a dataflow (`provision state list`
    /// shows them)
    #[arg(value_name = "KEY")]
    pub key: String,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StateImportArgs {
    /// `cloud/sandbox/name` of a connection in the config, or
    /// `dataflow/cloud/sandbox/name` for a dataflow.
    #[arg(value_name = "KEY")]
    pub key: ResourceKey,
    /// The connection's Flow Service id; for a dataflow, its flow's id (the
    /// source connection, target connection and mapping set are found from
    /// the flow).
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub(super) fn run(command: StateCommand) -> Result<Status> {
    match command {
        StateCommand::List(args) => list(&args),
        StateCommand::Show(args) => show(&args),
        StateCommand::Rm(args) => rm(&args),
        StateCommand::Protect(args) => set_protect(&args, true),
        StateCommand::Unprotect(args) => set_protect(&args, false),
        StateCommand::Import(args) => import(args),
        StateCommand::Unlock(args) => unlock(&args),
        StateCommand::Migrate(args) => state_migrate::migrate(&args),
    }?;
    Ok(Status::Success)
}

fn list(args: &StateListArgs) -> Result<()> {
    let (backend, target) = selected(&args.state)?;
    let state = backend.load_unchecked()?;
    let list = StateList::of(&state, backend.describe());
    match args.format {
        ResultFormat::Text => list.text().iter().for_each(|l| output::result_line(l)),
        ResultFormat::Json => output::result(&reporter::json_document(&list)),
    }
    if let Some(hint) = workspace::empty_state_hint(&target, &state) {
        output::warning(&hint);
    }
    Ok(())
}

fn show(args: &StateShowArgs) -> Result<()> {
    let backend = backend(&args.record.state)?;
    let state = backend.load_unchecked()?;
    let shown = StateShow::of(recorded::find(&args.record.key, &state, &*backend)?);
    match args.format {
        ResultFormat::Text => shown.text().iter().for_each(|l| output::result_line(l)),
        ResultFormat::Json => output::result(&reporter::json_document(&shown)),
    }
    Ok(())
}

fn rm(args: &StateKeyArgs) -> Result<()> {
    let backend = backend(&args.state)?;
    let edited = recorded::forget(&*backend, "provision state rm", &args.key)?;
    let key = edited.before.key();
    let stays = match &edited.before {
        Recorded::Connection(_, record) => {
            format!("connection `{}` stays on the platform", record.id)
        }
        Recorded::Pending(..) => {
            "it was a pending create: if it landed, it stays on the platform".to_owned()
        }
        Recorded::Dataflow(_, record) => dataflow_stays(record),
    };
    output::result_line(&format!("removed `{key}` from state; {stays}"));
    Ok(())
}

/// What of a forgotten dataflow stays on the platform: every recorded
/// object, and any whose create was in flight.
fn dataflow_stays(record: &DataflowRecord) -> String {
    let recorded: Vec<String> = Part::ALL
        .into_iter()
        .filter_map(|part| {
            record
                .object(part)
                .map(|o| format!("{} `{}`", part.describe(), o.id))
        })
        .collect();
    let pending: Vec<&str> = record
        .pending
        .keys()
        .filter(|part| record.object(**part).is_none())
        .map(|part| part.describe())
        .collect();
    let mut line = match recorded.as_slice() {
        [] => "no object of it was recorded".to_owned(),
        objects => format!("{} stay on the platform", objects.join(", ")),
    };
    if !pending.is_empty() {
        line.push_str(&format!(
            " (a create of its {} was in flight: if it landed, it stays too)",
            pending.join(", ")
        ));
    }
    line + "; nothing on the platform was touched"
}

/// `state protect|unprotect KEY`: sets the mark state keeps; the next
/// apply sets it again from the document (`protect:`).
fn set_protect(args: &StateKeyArgs, protect: bool) -> Result<()> {
    let backend = backend(&args.state)?;
    let command = if protect {
        "provision state protect"
    } else {
        "provision state unprotect"
    };
    let edited = recorded::set_protect(&*backend, command, &args.key, protect)?;
    let key = edited.before.key();
    let line = match (edited.written, protect) {
        (false, true) => format!("`{key}` is already protected: nothing changed"),
        (false, false) => format!("`{key}` is not protected: nothing changed"),
        (true, true) => format!(
            "`{key}` is now protected in state: no plan deletes it (the next apply records its document's `protect` again)"
        ),
        (true, false) => format!(
            "`{key}` is no longer protected in state: `--prune` may delete it once its document is gone (the next apply records its document's `protect` again)"
        ),
    };
    output::result_line(&line);
    Ok(())
}

fn import(args: StateImportArgs) -> Result<()> {
    let ws = Workspace::open(
        &args.config.options(),
        args.target.options(),
        Environment::process(),
    )?;
    let key = match &args.key {
        ResourceKey::Connection(key) => key,
        ResourceKey::Dataflow(key) => return import_dataflow(&ws, key, &args.id),
    };
    let item = import::record_existing(&ws, key, &args.id)?;
    // The id and name come from the server: shown escaped.
    let id = escape_value(&item.id);
    if item.name != key.name {
        output::warning(&format!(
            "connection `{id}` is named `{}` on the platform, `{}` in the config: `provision apply --refresh` renames it",
            escape_value(&item.name),
            key.name
        ));
    }
    output::result_line(&format!("imported `{id}` as `{key}`"));
    Ok(())
}

/// `state import dataflow/... FLOW_ID`: the whole chain, found from the flow.
fn import_dataflow(ws: &Workspace, key: &DataflowKey, flow_id: &str) -> Result<()> {
    let (record, name) = dataflow_import::record_existing(ws, key, flow_id)?;
    if name != key.name() {
        output::warning(&format!(
            "flow `{}` is named `{}` on the platform, `{}` in the key",
            escape_value(flow_id),
            escape_value(&name),
            key.name()
        ));
    }
    let objects: Vec<String> = Part::ALL
        .into_iter()
        .filter_map(|part| {
            record
                .object(part)
                .map(|o| format!("{} `{}`", part.describe(), escape_value(&o.id)))
        })
        .collect();
    output::result_line(&format!(
        "imported `{key}`: {}, over base connection `{}`; the next plan compares its document with the platform",
        objects.join(", "),
        escape_value(&record.base_connection_id)
    ));
    Ok(())
}

fn unlock(args: &StateArgs) -> Result<()> {
    let backend = backend(args)?;
    match backend.unlock() {
        Ok(Some(stale)) => {
            let gone = if stale.is_dead_here() {
                " (its process no longer exists)"
            } else {
                ""
            };
            output::result_line(&format!("cleared the lock details left by {stale}{gone}"));
        }
        Ok(None) => output::result_line("state is not locked"),
        Err(err) => return Err(err.into()),
    }
    Ok(())
}
