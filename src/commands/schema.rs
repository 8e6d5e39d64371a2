//! `provision schema`: write the generated schemas, or check the committed ones.

use crate::cli::SchemaArgs;
use crate::config::schema::{Kind, schema_text};
use crate::error::{Error, Result, Status};
use crate::output;

pub(super) fn run(args: &SchemaArgs) -> Result<Status> {
    let mut stale = Vec::new();
    for kind in [Kind::Connection, Kind::Settings] {
        let path = args.out.join(kind.file_name());
        let want = schema_text(kind);
        if args.check {
            match std::fs::read_to_string(&path) {
                Ok(have) if have == want => {}
                _ => stale.push(path),
            }
            continue;
        }
        std::fs::create_dir_all(&args.out)
            .and_then(|()| std::fs::write(&path, want))
            .map_err(Error::io("write", &path))?;
        output::result_line(&format!("wrote {}", path.display()));
    }
    if stale.is_empty() {
        if args.check {
            output::result_line("schemas are up to date");
        }
        return Ok(Status::Success);
    }
    Err(Error::Actions(
        stale
            .iter()
            .map(|path| {
                format!(
                    "`{}` is missing or stale: run `provision schema --out {}` and commit the result",
                    path.display(),
                    args.out.display()
                )
            })
            .collect(),
    ))
}
