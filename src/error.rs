//! The one error type of the program and its exit codes. Library functions
//! return their own typed errors; commands turn them into [`Error`], and
//! `lib::run` prints it and picks the exit code, in one place.

use std::path::PathBuf;

use crate::api::ApiError;
use crate::diagnostic::{Diagnostic, Sources};
use crate::state::{LockInfo, StateError};

/// The exit codes the command line promises; scripts rely on them.
pub(crate) mod exit {
    /// Success; for plan: no changes.
    pub(crate) const OK: u8 = 0;
    /// Invalid config, API error, partial apply.
    pub(crate) const FAILURE: u8 = 1;
    /// `--detailed-exitcode`: success and changes present.
    pub(crate) const CHANGES: u8 = 2;
    /// The state is locked by another run.
    pub(crate) const LOCKED: u8 = 3;
    /// Bad flags.
    pub(crate) const USAGE: u8 = 64;
    /// Interrupted (SIGINT/SIGTERM): 128 + SIGINT, as shells report it.
    pub(crate) const INTERRUPTED: u8 = 130;
}

/// How a command that ran to its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Exit 0.
    Success,
    /// `--detailed-exitcode` and there are (or were) changes: exit 2.
    Changes,
    /// The command's result already says what failed (validate found
    /// errors, a probe failed): exit 1 with nothing more to print.
    Failed,
    /// An interrupt stopped the run after it reported what it did: exit 130.
    Interrupted,
}

impl Status {
    /// `Failed` when `failed`, else `Success`.
    pub(crate) fn failed_if(failed: bool) -> Self {
        if failed {
            Status::Failed
        } else {
            Status::Success
        }
    }

    pub(crate) fn exit_code(self) -> u8 {
        match self {
            Status::Success => exit::OK,
            Status::Changes => exit::CHANGES,
            Status::Failed => exit::FAILURE,
            Status::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The config has problems; `outcome` says what was not done.
    #[error("{} problem(s) in the config: {outcome}", .diagnostics.len())]
    InvalidConfig {
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
        /// E.g. "nothing was sent", for the command at hand.
        outcome: &'static str,
    },
    /// Another run holds the state lock.
    #[error(
        "state is locked by {holder}: wait for it (`--lock-timeout 5m`), or if that run is gone, `provision state unlock`"
    )]
    Locked { holder: LockInfo },
    /// State could not be read or written.
    #[error(transparent)]
    State(StateError),
    /// The Flow Service or IMS failed a call the command needed.
    #[error("{context}: {source}")]
    Api {
        context: String,
        #[source]
        source: ApiError,
    },
    /// A saved plan no longer fits state or config.
    #[error("{0}: make a new plan")]
    StalePlan(String),
    /// A file or folder could not be read or written.
    #[error("cannot {action} `{}`: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Settings or environment the command needs are missing or wrong
    /// (an org, credentials, an unset variable in provision.yaml).
    #[error("{0}")]
    Setup(String),
    /// Several problems, one line each (stale schema files, …).
    #[error("{}", .0.join("\n"))]
    Problems(Vec<String>),
    /// Anything else that stops the command, in words.
    #[error("{0}")]
    Failed(String),
    /// A flag's value that only makes sense once the project is read
    /// (`--target crm-db`): a usage error, like clap's.
    #[error("{0}")]
    Usage(String),
    /// An interrupt (SIGINT/SIGTERM) came before any change was made.
    #[error("interrupted {0}: nothing was changed")]
    Interrupted(&'static str),
}

impl Error {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Locked { .. } => exit::LOCKED,
            Error::Interrupted(_) => exit::INTERRUPTED,
            Error::Usage(_) => exit::USAGE,
            _ => exit::FAILURE,
        }
    }

    /// An I/O error on `path`; `action` reads "cannot {action} `path`".
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// An API error with what the command was doing.
    pub(crate) fn api(context: impl Into<String>) -> impl FnOnce(ApiError) -> Self {
        let context = context.into();
        move |source| Error::Api { context, source }
    }
}

impl From<StateError> for Error {
    fn from(err: StateError) -> Self {
        match err {
            StateError::Locked(holder) => Error::Locked { holder },
            other => Error::State(other),
        }
    }
}

/// What every command returns.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
