//! Every dataflow rule's full message, as `provision validate` prints it
//! with its file:line:column, snippet and help: one snapshot over the rule
//! fixtures of `tests/fixtures/rules/` that concern dataflows and kinds.

use crate::support::util::{fixtures, provision};

/// Single-file fixtures, validated from the fixtures folder.
const FILES: [&str; 18] = [
    "kind-unknown.yaml",
    "kind-not-a-string.yaml",
    "dataflow-unknown-key.yaml",
    "dataflow-dataset-both.yaml",
    "dataflow-dataset-empty.yaml",
    "dataflow-missing-keys.yaml",
    "dataflow-duplicate-column.yaml",
    "v219-schedule-minute.yaml",
    "v219-schedule-no-interval.yaml",
    "v219-schedule-once.yaml",
    "v220-schedule-start.yaml",
    "v221-mapping-source.yaml",
    "v222-duplicate-destination.yaml",
    "v223-unknown-column.yaml",
    "v227-literal-dataflow.yaml",
    "v228-modeline-kind.yaml",
    "ok-dataflow.yaml",
    "ok-dataflow-once.yaml",
];

/// Fixture folders (several files, settings), validated from inside.
const CASES: [&str; 4] = [
    "v216-dataflow-rename",
    "v224-duplicate-dataflow",
    "v225-unknown-connection",
    "v226-connection-not-in-files",
];

#[test]
fn every_dataflow_rule_says_where_and_what_was_expected() {
    let mut all = String::new();
    for file in FILES {
        let out = provision()
            .current_dir(fixtures("rules"))
            .args(["validate", file])
            .run()
            .stdout();
        all.push_str(&format!("==> validate {file}\n{out}\n"));
    }
    for case in CASES {
        let out = provision()
            .current_dir(fixtures("rules").join(case))
            .arg("validate")
            .run()
            .stdout();
        all.push_str(&format!("==> {case}: validate\n{out}\n"));
    }
    for code in [
        "V219", "V220", "V221", "V222", "V223", "V224", "V225", "V226", "V227", "V228",
    ] {
        let header = format!("[{code}]: ");
        assert!(all.contains(&header), "no {code} in\n{all}");
    }
    insta::assert_snapshot!("dataflow_rule_messages", all);
}
