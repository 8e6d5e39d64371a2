//! `provision plan`: validate, resolve secrets, diff against state (and the
//! platform for new or, with `--refresh`, all connections). Writes nothing
//! but the optional `--out` plan file.

use crate::cli::{PlanArgs, PlanFormat};
use crate::desired::Environment;
use crate::desired::config_hash;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::plan::{self, PlanOptions, render};
use crate::workspace::Workspace;

use super::runtime;

pub(super) fn options(args: &crate::cli::PlanningArgs) -> PlanOptions {
    PlanOptions {
        prune: args.prune,
        max_deletes: args.max_deletes,
        targets: args.targets.clone(),
        rotate_secrets: args.rotate_secrets,
    }
}

pub(super) fn run(args: PlanArgs, verbose: bool) -> Result<Status> {
    let planning = args.planning;
    let options = options(&planning);
    let detailed = planning.detailed_exitcode;
    let refresh = planning.refresh;
    let ws = Workspace::open(
        &planning.config.options(),
        planning.target.options(),
        Environment::process(),
    )?;
    for warning in &ws.warnings {
        output::warning(warning);
    }
    let state = ws.backend.load()?;
    let runtime = runtime()?;
    // The platform is read only when there is something to look up: new
    // connections (to adopt rather than create), or all with --refresh.
    let needs_remote = !plan::scopes_to_read(&ws.desired, &state, refresh).is_empty();
    let plan = runtime.block_on(async {
        let remote = if needs_remote {
            let connected = ws.connect().await?;
            let remote = connected.read_remote(&ws.desired, &state, refresh).await;
            connected.close().await;
            Some(remote?)
        } else {
            None
        };
        plan::diff(
            &ws.desired,
            &state,
            remote.as_ref(),
            config_hash(&ws.desired),
            &options,
        )
        .map_err(|e| Error::Failed(e.to_string()))
    })?;
    if let Some(path) = &args.out {
        std::fs::write(path, render::json(&plan)).map_err(Error::io("write plan", path))?;
    }
    match args.format {
        PlanFormat::Text => output::result(&render::text(&plan, verbose)),
        PlanFormat::Json => output::result(&render::json(&plan)),
        PlanFormat::Markdown => output::result(&render::markdown(&plan)),
    }
    if let Some(path) = &args.out {
        output::progress(&format!(
            "Saved the plan to `{}`: apply it with `provision apply --plan {}`.\n",
            path.display(),
            path.display()
        ));
    }
    Ok(if detailed && !plan.is_empty() {
        Status::Changes
    } else {
        Status::Success
    })
}
