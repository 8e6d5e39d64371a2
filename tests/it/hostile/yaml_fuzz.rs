//! The YAML fuzz: valid connection and settings files, mutated
//! (byte flips, truncation, YAML special characters, anchors and aliases,
//! deep nesting, huge scalars, NUL, BOM, CR/CRLF line endings, invalid
//! UTF-8), must never panic, must point every diagnostic at a position
//! inside the file, and must stay within generous caps on time and memory
//! (caps that catch runaway growth, not speed targets).
//!
//! Every case runs `validate` in-process (fast); one case in
//! `PROVISION_FUZZ_SPAWN_EVERY` (default 8) also runs the binary with text
//! output under a 2 GiB address-space limit. `PROVISION_FUZZ_CASES` sets the
//! number of cases (default 64); `scripts/fuzz-yaml.sh` runs 100,000.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A validate of one file this size takes milliseconds; a case over this
/// is a hang in the making.
const TIME_CAP: Duration = Duration::from_secs(20);
/// Peak resident memory of the whole test process during a case: far above
/// what validating a 1 MiB file needs, far below the 2.8 GB the alias
/// amplification took.
const MEMORY_CAP_KIB: u64 = 1024 * 1024;

const SEEDS: [&str; 5] = [
    "# yaml-language-server: $schema=../../schema/connection.schema.json\nname: orders-db\ndescription: Orders replica\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: orders.pg.example.com\n  port: 5432\n  database: orders\n  username: aep_reader\n  password: ${ORDERS_DB_PASSWORD}\n  sslMode: Verify Full\n",
    "name: billing-db\nsandbox: prod\ncloud: azure\nauth:\n  type: connectionString\n  connectionString: Server=billing.pg.example.com;Database=billing;Port=5432;UID=aep_reader;Password=${BILLING_DB_PASSWORD};EncryptionMethod=1\n",
    "name: events-db\nsandbox: prod\ncloud: aws\nauth: {type: basic, server: events.pg.example.com, port: 5432, database: events, username: aep, password: \"${EVENTS_DB_PASSWORD}\", sslMode: true}\n---\nname: 'second'\nsandbox: dev\ncloud: aws\nauth:\n  type: basic\n  server: s\n  port: 5432\n  database: d\n  username: u\n  password: ${P}\n",
    "name: &n anchored\ndescription: >\n  folded text\n  over lines\nsandbox: prod\ncloud: azure\nauth:\n  type: basic\n  server: *n\n  port: 0x1538\n  database: |\n    literal\n  username: \"u\\tser\"\n  password: ${P}\n",
    "orgs:\n  azure: { imsOrg: \"ABC123@AdobeOrg\" }\n  aws: { imsOrg: \"DEF456@AdobeOrg\" }\nendpoint: https://platform.adobe.io\ncredentials:\n  clientId: ${AEP_CLIENT_ID}\n  clientSecret: ${AEP_CLIENT_SECRET}\nstate:\n  backend: file\n  path: .provision/state.json\nparallelism: 8\n",
];

const SPECIALS: [&[u8]; 26] = [
    b":",
    b": ",
    b"- ",
    b"? ",
    b"&a ",
    b"*a",
    b"!!str ",
    b"!!int ",
    b"!x ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"'",
    b"\"",
    b"|",
    b">",
    b"#",
    b"\n---\n",
    b"\n...\n",
    b"%YAML 1.2\n",
    b"\t",
    b"\\",
    b"@",
    b"`",
    b",",
];

/// One change to a file's bytes; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Special(usize, usize),
    Anchor(usize, usize),
    Nesting(usize, usize, bool),
    HugeScalar(usize, usize),
    Nul(usize),
    Bom(usize),
    LineEndings(bool),
    InvalidUtf8(usize, usize),
    DuplicateLine(usize),
    AliasFan(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = || 0..4096usize;
    prop_oneof![
        (at(), 1..=255u8).prop_map(|(p, x)| Mutation::Flip(p, x)),
        at().prop_map(Mutation::Truncate),
        (at(), 0..SPECIALS.len()).prop_map(|(p, s)| Mutation::Special(p, s)),
        (at(), at()).prop_map(|(a, b)| Mutation::Anchor(a, b)),
        (at(), 1..300usize, any::<bool>()).prop_map(|(p, d, flow)| Mutation::Nesting(p, d, flow)),
        (at(), 1..300_000usize).prop_map(|(p, n)| Mutation::HugeScalar(p, n)),
        at().prop_map(Mutation::Nul),
        at().prop_map(Mutation::Bom),
        any::<bool>().prop_map(Mutation::LineEndings),
        (at(), 0..4usize).prop_map(|(p, k)| Mutation::InvalidUtf8(p, k)),
        at().prop_map(Mutation::DuplicateLine),
        (1..20_000usize).prop_map(Mutation::AliasFan),
    ]
}

fn insert(bytes: &mut Vec<u8>, at: usize, what: &[u8]) {
    let at = at % (bytes.len() + 1);
    bytes.splice(at..at, what.iter().copied());
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len().max(1);
    match *mutation {
        Mutation::Flip(p, x) => {
            if !bytes.is_empty() {
                bytes[p % len] ^= x;
            }
        }
        Mutation::Truncate(p) => bytes.truncate(p % len),
        Mutation::Special(p, s) => insert(bytes, p, SPECIALS[s]),
        Mutation::Anchor(a, b) => {
            insert(bytes, a, b"&x ");
            insert(bytes, b, b"*x");
        }
        Mutation::Nesting(p, depth, flow) => {
            let nested = if flow {
                format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
            } else {
                (0..depth)
                    .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                    .collect()
            };
            insert(bytes, p, nested.as_bytes());
        }
        Mutation::HugeScalar(p, n) => insert(bytes, p, "x".repeat(n).as_bytes()),
        Mutation::Nul(p) => insert(bytes, p, b"\0"),
        Mutation::Bom(p) => insert(bytes, p, "\u{FEFF}".as_bytes()),
        Mutation::LineEndings(crlf) => {
            let ending: &[u8] = if crlf { b"\r\n" } else { b"\r" };
            let mut out = Vec::with_capacity(bytes.len() * 2);
            for b in bytes.iter() {
                if *b == b'\n' {
                    out.extend_from_slice(ending);
                } else {
                    out.push(*b);
                }
            }
            *bytes = out;
        }
        Mutation::InvalidUtf8(p, k) => {
            let bad: [&[u8]; 4] = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"];
            insert(bytes, p, bad[k]);
        }
        Mutation::DuplicateLine(p) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if let Some(line) = lines.get(p % lines.len().max(1)) {
                let at: usize = lines[..p % lines.len()].iter().map(|l| l.len()).sum();
                let line = line.as_bytes().to_vec();
                insert(bytes, at, &line);
            }
        }
        Mutation::AliasFan(n) => {
            let mut fan = format!("big: &big \"{}\"\nfan: [", "y".repeat(50_000));
            fan.push_str(&vec!["*big"; n].join(","));
            fan.push_str("]\n");
            bytes.extend_from_slice(fan.as_bytes());
        }
    }
}

/// Lines as YAML counts them (LF, CRLF, lone CR) and each one's length in
/// characters, of the text as far as it is UTF-8.
fn line_lengths(bytes: &[u8]) -> Vec<usize> {
    let text = String::from_utf8_lossy(bytes);
    let mut lengths = vec![0usize];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => lengths.push(0),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lengths.push(0);
            }
            _ => *lengths.last_mut().unwrap() += 1,
        }
    }
    lengths
}

/// Peak resident memory of this process (KiB), after resetting it when
/// the kernel allows (`/proc/self/clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The binary with text output, under a hard address-space limit.
fn spawn_check(file: &Path) -> Result<(), String> {
    #[allow(deprecated)] // the replacement macro needs a literal binary name per call site
    let binary = assert_cmd::cargo::cargo_bin("provision");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec \"$0\" validate --format text \"$1\"")
        .arg(&binary)
        .arg(file)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0 | 1) if !stderr.contains("panicked") => Ok(()),
        code => Err(format!("exit {code:?}\n{stderr}")),
    }
}

static CASE: AtomicUsize = AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig {
        cases: u32::try_from(env_number("PROVISION_FUZZ_CASES", 64)).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_files_get_diagnostics_inside_the_file_never_a_panic(
        seed in 0..SEEDS.len(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(if seed == 4 { "settings.yaml" } else { "c.yaml" });
        std::fs::write(&file, &bytes).unwrap();
        reset_peak();
        let start = Instant::now();
        let report = provision::validate::validate_paths(
            std::slice::from_ref(&file),
            None,
            Default::default(),
        );
        let elapsed = start.elapsed();
        prop_assert!(elapsed < TIME_CAP, "took {elapsed:?}");
        if let Some(peak) = peak_kib() {
            prop_assert!(peak < MEMORY_CAP_KIB, "peak {peak} KiB");
        }
        let lines = line_lengths(&bytes);
        for d in &report.diagnostics {
            let line = d.line as usize;
            prop_assert!(
                (1..=lines.len()).contains(&line),
                "{} at line {line} of {}: {}", d.code.as_str(), lines.len(), d.message
            );
            prop_assert!(
                (d.column as usize) <= lines[line - 1] + 1,
                "{} at {line}:{} past the line's {} characters: {}",
                d.code.as_str(), d.column, lines[line - 1], d.message
            );
        }
        let every = env_number("PROVISION_FUZZ_SPAWN_EVERY", 8).max(1);
        if CASE.fetch_add(1, Ordering::Relaxed).is_multiple_of(every) {
            let checked = spawn_check(&file);
            prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
        }
    }
}
