//! What a newcomer needs to hear when a run cannot go on: which key they
//! may have meant, where the `--emulator` rehearsal's state is, and that a
//! failure to reach IMS is IMS's, not the listing's it was needed for.

use super::{EMULATOR_STATE, TargetOptions};
use crate::api::ApiError;
use crate::config::ConnectionKey;
use crate::error::Error;
use crate::state::{FileBackend, State, StateBackend};

/// Like `Error::api(context)`, but a failure to get a token from IMS is
/// headlined as that, with the IMS address, whatever the call was for.
pub(crate) fn api_error(context: impl Into<String>) -> impl FnOnce(ApiError) -> Error {
    let context = context.into();
    move |source| {
        let context = match token_failure(&source) {
            Some(Some(url)) => format!(
                "cannot get an access token from IMS at `{url}` (check settings `ims` or `--ims`, and that this machine can reach it)"
            ),
            Some(None) => "cannot get an access token from IMS".to_owned(),
            None => context,
        };
        Error::Api { context, source }
    }
}

/// `Some(token URL if known)` when `err` is IMS's, not the Flow Service's.
fn token_failure(err: &ApiError) -> Option<Option<String>> {
    match err {
        ApiError::RetriesExhausted { last, .. } => token_failure(last),
        ApiError::Ims { .. } => Some(None),
        ApiError::Transport { url, .. } | ApiError::Decode { url, .. }
            if url.contains("/ims/token/") =>
        {
            Some(Some(url.clone()))
        }
        _ => None,
    }
}

/// "; did you mean `k`?" or "; did you mean one of `a`, `b`?".
pub(super) fn did_you_mean<K: std::fmt::Display>(keys: &[&K]) -> String {
    match keys {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The keys `--target` names. One that is not a key (`crm-db`) is an error
/// naming the keys of config and state that come closest.
pub(crate) fn target_keys(
    texts: &[String],
    known: impl Fn() -> Vec<ConnectionKey>,
) -> Result<Vec<ConnectionKey>, Error> {
    let mut keys = Vec::with_capacity(texts.len());
    for text in texts {
        match text.parse::<ConnectionKey>() {
            Ok(key) => keys.push(key),
            Err(_) => {
                let known = known();
                let near = closest_keys(text, known.iter());
                let tail = match near.as_slice() {
                    [] => ", e.g. `azure/prod/orders-db`".to_owned(),
                    near => did_you_mean(near),
                };
                return Err(Error::Usage(format!(
                    "`--target {}` is not a connection key: keys are `cloud/sandbox/name`{tail}",
                    text.escape_debug()
                )));
            }
        }
    }
    Ok(keys)
}

/// Up to three keys closest to `text`: those whose name is `text`, else
/// the most similar keys (names alone when `text` has no `/`).
fn closest_keys<'s>(
    text: &str,
    keys: impl Iterator<Item = &'s ConnectionKey> + Clone,
) -> Vec<&'s ConnectionKey> {
    closest(text, keys, |key| &key.name)
}

/// [`closest_keys`] over keys of any kind, `name` giving each one's name.
pub(super) fn closest<'s, K: std::fmt::Display + Ord>(
    text: &str,
    keys: impl Iterator<Item = &'s K> + Clone,
    name: impl Fn(&K) -> &str,
) -> Vec<&'s K> {
    let named: Vec<&K> = keys.clone().filter(|k| name(k) == text).collect();
    if !named.is_empty() {
        return named.into_iter().take(3).collect();
    }
    let whole = text.contains('/');
    let mut scored: Vec<(f64, &K)> = keys
        .map(|key| {
            let candidate = if whole {
                key.to_string()
            } else {
                name(key).to_owned()
            };
            (strsim::jaro_winkler(text, &candidate), key)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    // Only the ones about as close as the best: a shared `cloud/sandbox/`
    // prefix makes every key of the sandbox look alike.
    let best = scored.first().map_or(0.0, |(score, _)| *score);
    scored
        .into_iter()
        .take_while(|(score, _)| *score >= best - 0.03)
        .take(3)
        .map(|(_, key)| key)
        .collect()
}

/// When `state` is empty and the run did not ask for the `--emulator`
/// state, but a rehearsal left one that records connections: say so.
pub(crate) fn empty_state_hint(target: &TargetOptions, state: &State) -> Option<String> {
    let empty = state.is_empty();
    // An environment's rehearsal keeps its own state.
    let rehearsal_state = super::backend::per_environment(EMULATOR_STATE, target);
    if !empty || target.emulator || !rehearsal_state.is_file() {
        return None;
    }
    let rehearsal = FileBackend::new(&rehearsal_state).load().ok()?;
    let count = rehearsal.connections.len();
    let shown = rehearsal_state.display();
    let env = target
        .environment
        .as_ref()
        .map(|name| format!(" -e {name}"))
        .unwrap_or_default();
    (count > 0).then(|| {
        format!(
            "this state records no connections; the `--emulator` rehearsal's state `{shown}` records {count}: `provision state list --emulator{env}` lists them"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Record;

    fn state(keys: &[&str]) -> State {
        let mut state = State::new();
        for key in keys {
            let record = Record {
                id: "id".into(),
                etag: "e".into(),
                org: "O".into(),
                fingerprint: "f".into(),
                secret_hmac: None,
                created_at: "t".into(),
                updated_at: "t".into(),
                source: None,
                secret_version: None,
                connection_string_parts: None,
                protect: false,
            };
            state.connections.insert(key.parse().unwrap(), record);
        }
        state
    }

    #[test]
    fn suggests_keys_by_name_then_by_likeness() {
        let state = state(&[
            "azure/dev/orders-db",
            "azure/prod/orders-db",
            "aws/prod/events-db",
        ]);
        let names: Vec<String> = closest_keys("orders-db", state.connections.keys())
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(names, ["azure/dev/orders-db", "azure/prod/orders-db"]);
        let near: Vec<String> = closest_keys("azure/prod/orders", state.connections.keys())
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(
            near.first().map(String::as_str),
            Some("azure/prod/orders-db")
        );
        assert!(closest_keys("zzz", state.connections.keys()).is_empty());
    }

    #[test]
    fn tells_ims_failures_from_flow_service_failures() {
        let dns = ApiError::RetriesExhausted {
            attempts: 6,
            elapsed: std::time::Duration::from_millis(10),
            last: Box::new(ApiError::Transport {
                url: "https://ims.invalid/ims/token/v3".into(),
                message: "dns error".into(),
                timeout: false,
                connect: true,
            }),
        };
        let err = api_error("cannot list connections in sandbox `dev`")(dns);
        let text = err.to_string();
        assert!(
            text.starts_with(
                "cannot get an access token from IMS at `https://ims.invalid/ims/token/v3`"
            ),
            "{text}"
        );
        let listing = ApiError::NotFound {
            what: crate::api::Resource::Connection,
            id: "x".into(),
        };
        let err = api_error("cannot list connections in sandbox `dev`")(listing);
        assert!(
            err.to_string().starts_with("cannot list connections"),
            "{err}"
        );
    }
}
