//! `provision plan`: validate, resolve secrets, diff against state (and the
//! platform for new or, with `--refresh`, all connections). Writes nothing
//! but the optional `--out` plan file.

use crate::cli::{PlanArgs, PlanFormat};
use crate::desired::Environment;
use crate::error::{Error, Result, Status};
use crate::output;
use crate::plan::render;
use crate::workspace::Workspace;

use super::runtime;

pub(super) fn run(args: PlanArgs, verbose: bool) -> Result<Status> {
    let planning = args.planning;
    let options = planning.plan_options();
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
    let plan = runtime()?.block_on(ws.plan(&state, refresh, &options, None))?;
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
