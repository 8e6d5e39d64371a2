//! Config + environment -> the desired connections: each valid connection
//! with its `${VAR}`s resolved, the IMS org of its cloud, and the digests
//! that state keeps to notice changes without keeping secrets.

pub(crate) mod dataflow;
mod environment;
pub(crate) mod resolve;
mod source;
pub(crate) mod unset_secrets;

pub(crate) use environment::Environment;
pub(crate) use source::{Project, described_keys, lies_under};

use crate::config::ConnectionKey;
use std::collections::{BTreeMap, HashMap};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::interpolate;
use crate::config::{Auth, Cloud, Connection, Settings};
use crate::diagnostic::Diagnostic;
use crate::validate::Located;
use resolve::Lookup;

/// One connection as it should be on the platform.
#[derive(Debug, Clone)]
pub(crate) struct Desired {
    pub key: ConnectionKey,
    pub org: String,
    /// With secrets resolved: never print it whole (its Debug masks them).
    pub connection: Connection,
    /// SHA-256 of the non-secret fields (resolved).
    pub fingerprint: String,
    /// HMAC-SHA256 of the secret under `PROVISION_STATE_KEY`, when set.
    pub secret_hmac: Option<String>,
    /// The file it is written in, as state records it ([`Project::source`]).
    pub source: String,
    /// The line of its `renamedFrom`, for errors about the rename.
    pub renamed_from_line: Option<u32>,
}

/// Why the desired set could not be built.
#[derive(Debug)]
pub(crate) enum DesiredError {
    /// Missing variables, each at the file:line using it.
    Diagnostics(Vec<Diagnostic>),
    /// A cloud in use has no IMS org configured.
    NoOrg(Cloud),
    /// An IMS org id that cannot be used as written, or one org for both
    /// clouds once `${VAR}`s are resolved; the message names the setting.
    BadOrg(String),
    /// Two connections are the same (org, sandbox, name) on the platform,
    /// which the settings only showed once `${VAR}`s were resolved.
    SameConnection {
        first: ConnectionKey,
        second: ConnectionKey,
        org: String,
    },
}

/// The documents that apply in environment `name` (all of them without
/// environments), each without `sandbox` given `sandbox`: the connections
/// a run in that environment manages, sorted by their keys there.
/// Validation has reported a document left without a sandbox (V210).
pub(crate) fn in_environment(
    connections: Vec<Located>,
    name: Option<&str>,
    sandbox: Option<&str>,
) -> Vec<Located> {
    let mut scoped: Vec<Located> = connections
        .into_iter()
        .filter(|l| match (name, &l.connection.environments) {
            (Some(name), Some(list)) => list.iter().any(|n| n == name),
            _ => true,
        })
        .filter_map(|mut l| {
            if l.connection.sandbox.is_empty() {
                l.connection.sandbox = sandbox?.to_owned();
            }
            Some(l)
        })
        .collect();
    scoped.sort_by_cached_key(|l| l.connection.key());
    scoped
}

/// Resolves every connection and attaches its org, digests and file.
pub(crate) fn build(
    connections: &[Located],
    orgs: &HashMap<Cloud, String>,
    lookup: &Lookup<'_>,
    state_key: Option<&[u8]>,
    project: &Project,
) -> Result<Vec<Desired>, DesiredError> {
    let resolved = resolve::resolve_all(connections, lookup).map_err(DesiredError::Diagnostics)?;
    usable_orgs(orgs)?;
    let mut desired = Vec::with_capacity(resolved.len());
    for (located, resolved) in connections.iter().zip(resolved) {
        let cloud = resolved.connection.cloud;
        let org = orgs
            .get(&cloud)
            .cloned()
            .ok_or(DesiredError::NoOrg(cloud))?;
        let fingerprint = fingerprint(&located.connection, lookup);
        let secret_hmac = state_key
            .map(|k| secret_hmac(k, &resolved.key, &located.connection, &resolved.connection));
        desired.push(Desired {
            key: resolved.key,
            org,
            connection: resolved.connection,
            fingerprint,
            secret_hmac,
            source: project.source(&located.file),
            renamed_from_line: located.node.key_at("", "renamedFrom").map(|k| k.pos.line),
        });
    }
    same_connection(&desired)?;
    one_org_per_cloud(orgs)?;
    Ok(desired)
}

/// Every org id usable as a header (trimmed, nothing inside to break it).
fn usable_orgs(orgs: &HashMap<Cloud, String>) -> Result<(), DesiredError> {
    for cloud in [Cloud::Azure, Cloud::Aws] {
        if let Some(org) = orgs.get(&cloud) {
            crate::config::OrgSettings::normalize_org(org).map_err(|why| {
                DesiredError::BadOrg(format!(
                    "settings `orgs.{cloud}.imsOrg` (or the variable it names) {why}"
                ))
            })?;
        }
    }
    Ok(())
}

/// One org per cloud once `${VAR}`s are resolved and trimmed (the literal
/// check, V208, cannot see through them).
fn one_org_per_cloud(orgs: &HashMap<Cloud, String>) -> Result<(), DesiredError> {
    match (orgs.get(&Cloud::Azure), orgs.get(&Cloud::Aws)) {
        (Some(azure), Some(aws)) if azure.eq_ignore_ascii_case(aws) => {
            Err(DesiredError::BadOrg(format!(
                "settings `orgs.azure.imsOrg` and `orgs.aws.imsOrg` are both `{}` once their variables are resolved and trimmed: expected a different org per cloud (an org lives on one cloud; V208)",
                aws.escape_debug()
            )))
        }
        _ => Ok(()),
    }
}

/// The platform's identity is (org, sandbox, name) (docs/contract/apply.md):
/// two keys that map to one triple would create a duplicate.
fn same_connection(desired: &[Desired]) -> Result<(), DesiredError> {
    let mut seen: HashMap<(String, &str, &str), &ConnectionKey> = HashMap::new();
    for d in desired {
        let triple = (
            d.org.to_ascii_lowercase(),
            d.key.sandbox.as_str(),
            d.key.name.as_str(),
        );
        if let Some(first) = seen.insert(triple, &d.key) {
            return Err(DesiredError::SameConnection {
                first: first.clone(),
                second: d.key.clone(),
                org: d.org.clone(),
            });
        }
    }
    Ok(())
}

/// The orgs per cloud from the settings.
pub(crate) fn orgs_from_settings(
    settings: &Settings,
    lookup: &Lookup<'_>,
) -> HashMap<Cloud, String> {
    let mut orgs = HashMap::new();
    if let Some(configured) = &settings.orgs {
        for (cloud, org) in [
            (Cloud::Azure, &configured.azure),
            (Cloud::Aws, &configured.aws),
        ] {
            if let Some(org) = org {
                let value =
                    interpolate::substitute(&org.ims_org, &|n| lookup(n)).unwrap_or_default();
                // Trimmed for every use; one still unusable is kept as is
                // for `build` to refuse with the setting's name.
                let value = crate::config::OrgSettings::normalize_org(&value).unwrap_or(value);
                if !value.is_empty() {
                    orgs.insert(cloud, value);
                }
            }
        }
    }
    orgs
}

/// The non-secret view of a connection template, resolved. The password is
/// left out; a connection string loses its `Password=` part *before*
/// substitution, so no part of a secret reaches the digest input, and a
/// connection string that is one `${VAR}` (a secret as a whole) is kept as
/// that reference, unresolved.
fn non_secret_view(template: &Connection, lookup: &Lookup<'_>) -> Value {
    let sub = |s: &str| interpolate::substitute(s, &|n| lookup(n)).unwrap_or_default();
    let auth = match &template.auth {
        Auth::Basic(b) => json!({
            "type": "basic",
            "server": sub(&b.server),
            "port": b.port,
            "database": sub(&b.database),
            "username": sub(&b.username),
            "sslMode": b.ssl_mode,
        }),
        Auth::ConnectionString(cs) if interpolate::is_single_reference(&cs.connection_string) => {
            json!({ "type": "connectionString", "connectionString": cs.connection_string })
        }
        Auth::ConnectionString(cs) => {
            let without_password: Vec<&str> = cs
                .connection_string
                .split(';')
                .filter(|part| {
                    let key = part.split('=').next().unwrap_or("").trim();
                    !key.eq_ignore_ascii_case("password") && !part.trim().is_empty()
                })
                .collect();
            json!({ "type": "connectionString", "connectionString": sub(&without_password.join(";")) })
        }
    };
    json!({
        "name": sub(&template.name),
        "description": template.description.as_deref().map(sub),
        "sandbox": template.sandbox,
        "cloud": template.cloud,
        "auth": auth,
    })
}

/// A resolved connection string's parts but `Password`, by their canonical
/// key, as state records them (`None` for basic authentication).
pub(crate) fn connection_string_parts(connection: &Connection) -> Option<BTreeMap<String, String>> {
    let Auth::ConnectionString(cs) = &connection.auth else {
        return None;
    };
    let parsed = crate::connection_string::parse(&cs.connection_string);
    Some(
        parsed
            .entries
            .iter()
            .filter(|(key, _, _)| *key != "Password")
            .map(|(key, _, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
    )
}

/// SHA-256 of the non-secret fields of a connection as written (its `${VAR}`s
/// in non-secret fields resolved by `lookup`): what state records.
pub(crate) fn fingerprint(template: &Connection, lookup: &Lookup<'_>) -> String {
    let view = non_secret_view(template, lookup);
    hex(&Sha256::digest(view.to_string().as_bytes()))
}

/// The secret part of a resolved connection: the password, or the whole
/// connection string when `template` writes it as one `${VAR}`.
fn secret_material(template: &Connection, connection: &Connection) -> String {
    match (&template.auth, &connection.auth) {
        (Auth::ConnectionString(written), Auth::ConnectionString(cs))
            if interpolate::is_single_reference(&written.connection_string) =>
        {
            cs.connection_string.clone()
        }
        (_, Auth::Basic(b)) => b.password.clone(),
        (_, Auth::ConnectionString(cs)) => crate::connection_string::parse(&cs.connection_string)
            .get("password")
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default(),
    }
}

fn secret_hmac(
    state_key: &[u8],
    key: &ConnectionKey,
    template: &Connection,
    connection: &Connection,
) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(state_key) else {
        return String::new();
    };
    mac.update(key.to_string().as_bytes());
    mac.update(&[0]);
    mac.update(secret_material(template, connection).as_bytes());
    hex(&mac.finalize().into_bytes())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest of the whole desired set (no secrets), binding a saved plan to
/// the config it was made from.
pub(crate) fn config_hash(desired: &[Desired]) -> String {
    let mut hasher = Sha256::new();
    for d in desired {
        hasher.update(d.key.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(d.org.as_bytes());
        hasher.update([0]);
        hasher.update(d.fingerprint.as_bytes());
        hasher.update([0]);
        hasher.update(d.secret_hmac.as_deref().unwrap_or("").as_bytes());
        // Only when set, so the hash of a config without it stays as it was.
        if d.connection.protect {
            hasher.update(b"\0protect");
        }
        hasher.update([1]);
    }
    hex(&hasher.finalize())
}
