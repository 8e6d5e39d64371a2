//! Reading a connection back from what the Flow Service returns: the
//! visible params become config fields, the masked secret becomes a
//! `${VAR}` reference, and anything the config cannot express is refused.

use serde_json::Value;

use crate::api::wire::{BASIC_AUTH, CONNECTION_STRING_AUTH, ConnectionItem};
use crate::config::{
    Auth, AzureSslMode, BasicAuth, Cloud, Connection, ConnectionStringAuth, SslMode,
};

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn required(params: &serde_json::Map<String, Value>, field: &str) -> Result<String, String> {
    params
        .get(field)
        .and_then(text)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("the platform returned no `auth.params.{field}`"))
}

fn ssl_mode(cloud: Cloud, value: Option<&Value>) -> Result<Option<SslMode>, String> {
    let Some(value) = value.and_then(text) else {
        return Ok(None);
    };
    match cloud {
        Cloud::Aws => match value.as_str() {
            "true" => Ok(Some(SslMode::Aws(true))),
            "false" => Ok(Some(SslMode::Aws(false))),
            other => Err(format!(
                "`sslMode` is `{other}`: expected `true` or `false` on aws"
            )),
        },
        Cloud::Azure => serde_json::from_value::<AzureSslMode>(Value::String(value.clone()))
            .map(|m| Some(SslMode::Azure(m)))
            .map_err(|_| {
                format!(
                    "`sslMode` is `{value}`: expected one of {} on azure",
                    AzureSslMode::ALL.map(|m| format!("`{m}`")).join(", ")
                )
            }),
    }
}

/// The config for `item` with its secret as `${variable}` (the password, or
/// the whole connection string, which the service masks), or why it cannot
/// be written faithfully.
pub(crate) fn to_connection(
    item: &ConnectionItem,
    cloud: Cloud,
    sandbox: &str,
    variable: &str,
) -> Result<Connection, String> {
    if item.name.is_empty()
        || item.name.chars().count() > 256
        || item.name.chars().any(char::is_control)
    {
        return Err(
            "its name is empty, longer than 256 characters or holds control characters".into(),
        );
    }
    let Some(auth) = &item.auth else {
        return Err("the platform returned no `auth` for it".into());
    };
    match auth.spec_name.as_str() {
        BASIC_AUTH => {}
        // The service masks the whole string: it becomes one variable.
        CONNECTION_STRING_AUTH if cloud == Cloud::Azure => {
            return Ok(Connection {
                name: item.name.clone(),
                description: item.description.clone().filter(|d| !d.is_empty()),
                sandbox: sandbox.to_owned(),
                cloud,
                auth: Auth::ConnectionString(ConnectionStringAuth {
                    connection_string: format!("${{{variable}}}"),
                }),
                secret_version: None,
                renamed_from: None,
                protect: false,
                environments: None,
            });
        }
        CONNECTION_STRING_AUTH => {
            return Err(
                "it uses connection-string authentication, which provision supports on azure only"
                    .into(),
            );
        }
        other => return Err(format!("unknown auth spec `{other}`")),
    }
    let params = &auth.params;
    let port_text = required(params, "port")?;
    let port = port_text
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`port` is `{port_text}`: expected an integer 1..65535"))?;
    Ok(Connection {
        name: item.name.clone(),
        description: item.description.clone().filter(|d| !d.is_empty()),
        sandbox: sandbox.to_owned(),
        cloud,
        auth: Auth::Basic(BasicAuth {
            server: required(params, "server")?,
            port,
            database: required(params, "database")?,
            username: required(params, "username")?,
            password: format!("${{{variable}}}"),
            ssl_mode: ssl_mode(cloud, params.get("sslMode"))?,
        }),
        secret_version: None,
        renamed_from: None,
        protect: false,
        environments: None,
    })
}
