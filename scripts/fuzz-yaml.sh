#!/usr/bin/env bash
# The long YAML fuzz run, not part of `cargo test`: the property
# test of tests/it/hostile/yaml_fuzz.rs with 100,000 cases (or $1). Mutated
# connection and settings files must never panic, must get diagnostics
# inside the file, and must stay within the test's time and memory caps.
# One case in PROVISION_FUZZ_SPAWN_EVERY (default 40 here) also runs the
# binary with text output under a 2 GiB address-space limit. The result
# goes in the README's "Reliability" section.
set -euo pipefail

cases="${1:-100000}"
cd "$(dirname "$0")/.."
start="$(date +%s)"
PROVISION_FUZZ_CASES="$cases" \
  PROVISION_FUZZ_SPAWN_EVERY="${PROVISION_FUZZ_SPAWN_EVERY:-40}" \
  cargo test --test it yaml_fuzz -- --exact \
  hostile::yaml_fuzz::mutated_files_get_diagnostics_inside_the_file_never_a_panic
echo "yaml fuzz: $cases cases passed in $(($(date +%s) - start)) s"
