//! A small Language Server Protocol client for yaml-language-server over
//! stdio: `Content-Length` framed JSON-RPC, the few requests the tests need,
//! answers to the server's own requests, and a deadline on every wait so a
//! stuck server fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::util::root;

/// The version `.ci/run` installs (2.x needs Node 22).
pub const PINNED_VERSION: &str = "1.25.0";
/// Longest wait for one answer; the server answers in milliseconds.
const WAIT: Duration = Duration::from_secs(60);

/// What the editor is told: validate, complete, and no schema store (it
/// would be fetched from the internet; the modeline names the schema).
fn settings() -> Value {
    json!({ "yaml": {
        "validate": true,
        "completion": true,
        "hover": true,
        "schemaStore": { "enable": false }
    } })
}

/// yaml-language-server: `$YAML_LANGUAGE_SERVER`, the copy `.ci/run`
/// installs under `target/editor-tools`, or one on `PATH`; `None` (with the
/// reason on stderr) when there is none or no `node` to run it, which fails
/// under `CI=true`.
pub fn locate(test: &str) -> Option<PathBuf> {
    let installed = root().join("target/editor-tools/node_modules/.bin/yaml-language-server");
    let candidates = [
        std::env::var_os("YAML_LANGUAGE_SERVER").map(PathBuf::from),
        Some(installed),
        Some(PathBuf::from("yaml-language-server")),
    ];
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let found = candidates.into_iter().flatten().find(|server| {
        node && Command::new(server)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        let why = format!(
            "{test}: yaml-language-server (run by Node.js) is not installed (npm install --prefix target/editor-tools yaml-language-server@{PINNED_VERSION}; .ci/run does it)"
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}, and CI=true requires it"
        );
        crate::support::util::say_on_terminal(&format!("SKIPPED {why}"));
    }
    found
}

/// One diagnostic as the editor shows it, 1-based, the column in characters
/// (LSP counts UTF-16 units).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A running yaml-language-server.
pub struct Editor {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    next_id: u64,
    /// `serverInfo.version` from its answer to `initialize`.
    pub version: String,
}

impl Editor {
    pub fn start(server: &Path) -> Editor {
        let mut child = Command::new(server)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", server.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, inbox) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut editor = Editor {
            child,
            stdin,
            inbox,
            next_id: 0,
            version: String::new(),
        };
        let answer = editor.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": uri(&root()),
                "capabilities": {
                    "workspace": { "configuration": true },
                    "textDocument": {
                        "completion": { "completionItem": { "snippetSupport": false } }
                    }
                }
            }),
        );
        editor.version = answer["serverInfo"]["version"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        editor.notify("initialized", json!({}));
        editor.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": settings() }),
        );
        editor
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("yaml-language-server stopped reading: {e}"));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let answer = self.wait_for(method, |m| m["id"] == id && m.get("method").is_none());
        assert!(
            answer.get("error").is_none(),
            "{method} failed: {}",
            answer["error"]
        );
        answer["result"].clone()
    }

    /// The next message `wanted` accepts; the server's own requests on the
    /// way are answered, other messages dropped.
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.inbox.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("yaml-language-server gave no {what} within {WAIT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("yaml-language-server exited while waiting for {what}")
                }
            };
            if let (Some(method), Some(id)) = (message["method"].as_str(), message.get("id")) {
                let result = match method {
                    "workspace/configuration" => configuration(&message["params"]),
                    _ => Value::Null,
                };
                let answer = json!({ "jsonrpc": "2.0", "id": id, "result": result });
                self.send(answer);
                continue;
            }
            if wanted(&message) {
                return message;
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) -> (String, Value) {
        let uri = uri(path);
        let document = json!({ "uri": uri, "languageId": "yaml", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
        let published = self.wait_for("diagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
        });
        (uri, published["params"]["diagnostics"].clone())
    }

    fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }

    /// What the editor marks in `text`, opened as the file at `path` (the
    /// modeline's relative schema path is resolved from there).
    pub fn diagnostics(&mut self, path: &Path, text: &str) -> Vec<Mark> {
        let (uri, diagnostics) = self.open(path, text);
        self.close(&uri);
        let lines: Vec<&str> = text.lines().collect();
        let mut marks: Vec<Mark> = diagnostics
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let start = &d["range"]["start"];
                let line = start["line"].as_u64().unwrap_or(0) as usize;
                let units = start["character"].as_u64().unwrap_or(0) as usize;
                Mark {
                    line: line as u32 + 1,
                    column: column(lines.get(line).copied().unwrap_or(""), units),
                    message: d["message"].as_str().unwrap_or("").replace('\n', " "),
                }
            })
            .collect();
        marks.sort();
        marks
    }

    /// The labels the editor offers at `line`:`column` (1-based, ASCII text).
    pub fn completion(&mut self, path: &Path, text: &str, line: u32, column: u32) -> Vec<String> {
        let (uri, _) = self.open(path, text);
        let position = json!({ "line": line - 1, "character": column - 1 });
        let result = self.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": position }),
        );
        self.close(&uri);
        let items = result.get("items").unwrap_or(&result);
        let mut labels: Vec<String> = items
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["label"].as_str().map(str::to_owned))
            .collect();
        labels.sort();
        labels
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": "shutdown" }));
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.child.try_wait().is_ok_and(|status| status.is_some()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The settings asked for by section (`yaml`; `[yaml]` is per-language
/// editor settings, of which there are none).
fn configuration(params: &Value) -> Value {
    let settings = settings();
    params["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| match item["section"].as_str() {
            Some("yaml") => settings["yaml"].clone(),
            _ => Value::Null,
        })
        .collect()
}

/// One framed message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// `file://` URI of an absolute path, percent-encoding all but the
/// characters paths usually hold.
pub fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The 1-based character column of a UTF-16 offset into `line`.
fn column(line: &str, units: usize) -> u32 {
    let mut seen = 0;
    let chars = line
        .chars()
        .take_while(|c| {
            seen += c.len_utf16();
            seen <= units
        })
        .count();
    chars as u32 + 1
}
