//! `branch:` on an environment: `apply` acts only from that git branch, and
//! says which branch it found and where, before any request is sent. The CI
//! systems' variables come first (a CI checkout is often a detached HEAD).

use std::path::Path;

use crate::desired::Environment;
use crate::error::Error;

/// Where the current branch was read, and what each source said.
#[derive(Debug, Default)]
pub(crate) struct BranchReading {
    /// The branch and the source that gave it.
    pub found: Option<(String, &'static str)>,
    /// What each source consulted said, for the refusal when none answered.
    pub consulted: Vec<String>,
}

/// The branch this run is on: `GITHUB_REF_NAME` when `GITHUB_REF_TYPE` is
/// `branch`, else `CI_COMMIT_BRANCH`, else `git symbolic-ref --short HEAD`
/// in `dir`.
pub(crate) fn current_branch(env: &Environment, dir: &Path) -> BranchReading {
    let mut reading = BranchReading::default();
    match (env.get("GITHUB_REF_TYPE"), env.get("GITHUB_REF_NAME")) {
        (Some(kind), Some(name)) if kind == "branch" => {
            reading.found = Some((name, "GITHUB_REF_NAME"));
            return reading;
        }
        (Some(kind), _) if kind != "branch" => reading.consulted.push(format!(
            "GITHUB_REF_TYPE is `{}`, not `branch`",
            kind.escape_debug()
        )),
        (Some(_), None) => reading
            .consulted
            .push("GITHUB_REF_TYPE is `branch` but GITHUB_REF_NAME is unset".to_owned()),
        _ => reading
            .consulted
            .push("GITHUB_REF_TYPE is unset".to_owned()),
    }
    if let Some(name) = env.get("CI_COMMIT_BRANCH") {
        reading.found = Some((name, "CI_COMMIT_BRANCH"));
        return reading;
    }
    reading
        .consulted
        .push("CI_COMMIT_BRANCH is unset".to_owned());
    let git = std::process::Command::new("git")
        .args(["symbolic-ref", "--short", "-q", "HEAD"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match git {
        Ok(out) if out.status.success() => {
            let name = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if name.is_empty() {
                reading
                    .consulted
                    .push("`git symbolic-ref --short HEAD` printed nothing".to_owned());
            } else {
                reading.found = Some((name, "git symbolic-ref --short HEAD"));
            }
        }
        Ok(_) => reading.consulted.push(
            "`git symbolic-ref --short HEAD` names no branch (a detached HEAD, or not a git repository)"
                .to_owned(),
        ),
        Err(err) => reading
            .consulted
            .push(format!("`git` could not be run ({err})")),
    }
    reading
}

/// Refuses an apply in `environment` that requires `wanted` when the run is
/// on another branch, or when no source names a branch.
pub(crate) fn require_branch(
    environment: &str,
    wanted: &str,
    reading: &BranchReading,
) -> Result<(), Error> {
    match &reading.found {
        Some((branch, _)) if branch == wanted => Ok(()),
        Some((branch, source)) => Err(Error::Failed(format!(
            "environment `{environment}` applies only from branch `{wanted}`, and this run is on branch `{}` (from {source}): nothing was sent; merge into `{wanted}` and apply there",
            branch.escape_debug()
        ))),
        None => Err(Error::Failed(format!(
            "environment `{environment}` applies only from branch `{wanted}`, and the current branch could not be read ({}): nothing was sent; set GITHUB_REF_TYPE/GITHUB_REF_NAME or CI_COMMIT_BRANCH, or check out `{wanted}`",
            reading.consulted.join("; ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> Environment {
        Environment::from_fn(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn outside_git() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn github_names_the_branch_only_for_branch_refs() {
        let dir = outside_git();
        let r = current_branch(
            &env(&[("GITHUB_REF_TYPE", "branch"), ("GITHUB_REF_NAME", "main")]),
            dir.path(),
        );
        assert_eq!(r.found, Some(("main".to_owned(), "GITHUB_REF_NAME")));
        let r = current_branch(
            &env(&[
                ("GITHUB_REF_TYPE", "tag"),
                ("GITHUB_REF_NAME", "main"),
                ("CI_COMMIT_BRANCH", "dev"),
            ]),
            dir.path(),
        );
        assert_eq!(r.found, Some(("dev".to_owned(), "CI_COMMIT_BRANCH")));
    }

    #[test]
    fn no_source_refuses_and_says_what_was_read() {
        let dir = outside_git();
        let r = current_branch(&env(&[("GITHUB_REF_TYPE", "tag")]), dir.path());
        assert_eq!(r.found, None);
        let err = require_branch("prod", "main", &r).unwrap_err().to_string();
        assert!(err.contains("GITHUB_REF_TYPE is `tag`"), "{err}");
        assert!(err.contains("CI_COMMIT_BRANCH is unset"), "{err}");
        assert!(err.contains("git symbolic-ref"), "{err}");
    }

    #[test]
    fn another_branch_is_refused_naming_both() {
        let r = BranchReading {
            found: Some(("feature".to_owned(), "CI_COMMIT_BRANCH")),
            consulted: Vec::new(),
        };
        let err = require_branch("prod", "main", &r).unwrap_err().to_string();
        assert!(err.contains("`main`") && err.contains("`feature`"), "{err}");
        assert!(require_branch("prod", "feature", &r).is_ok());
    }
}
