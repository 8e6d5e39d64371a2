#!/usr/bin/env bash
# Runs the `provision-validate` hook of .pre-commit-hooks.yaml with the real
# pre-commit tool on a throwaway git repository: a valid connection passes,
# an invalid one is refused, both by `pre-commit run` and by `git commit`.
# Usage: bash tests/pre-commit.sh target/debug/provision
set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH-TO-PROVISION-BINARY" >&2
  exit 64
fi
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
repo_root="$(cd "$(dirname "$0")/.." && pwd)"

if ! python3 -m pre_commit --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pre-commit
fi
pre_commit() { python3 -m pre_commit "$@"; }
pre_commit --version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/.cache"

# The hook as published, with its entry pointed at the binary under test
# (`language: system` instead of building it again with cargo).
python3 - "$repo_root/.pre-commit-hooks.yaml" "$bin" > "$work/config.yaml" <<'PY'
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
hook = next(h for h in hooks if h["id"] == "provision-validate")
assert hook["entry"].startswith("provision validate"), hook["entry"]
hook["entry"] = sys.argv[2] + hook["entry"][len("provision"):]
hook["language"] = "system"
yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, sys.stdout)
PY

project="$work/project"
mkdir -p "$project/connections/dev"
cd "$project"
git init -q
git config user.email hooks@example.com
git config user.name "pre-commit test"
mv "$work/config.yaml" .pre-commit-config.yaml

cat > connections/dev/orders.yaml <<'YAML'
name: orders-db
sandbox: dev
cloud: azure
auth:
  type: basic
  server: orders.pg.example.com
  port: 5432
  database: orders
  username: aep_reader
  password: ${ORDERS_DB_PASSWORD}
  sslMode: Verify Full
YAML
printf 'not provision config: [1, 2\n' > notes.yml  # outside connections/: not checked
git add .pre-commit-config.yaml connections notes.yml

echo "== a valid connection passes"
pre_commit run --all-files

echo "== an invalid connection fails"
cat > connections/dev/broken.yaml <<'YAML'
name: broken-db
sandbox: dev
cloud: aws
auth:
  type: connectionString
  connectionString: Server=h;Database=d;Port=5432;UID=u;Password=plain
YAML
git add connections/dev/broken.yaml
if out="$(pre_commit run --all-files 2>&1)"; then
  echo "$out"
  echo "FAIL: the hook passed an invalid connection" >&2
  exit 1
fi
echo "$out"
grep -q "S104" <<<"$out" || { echo "FAIL: the hook output names no diagnostic code" >&2; exit 1; }

echo "== git commit is refused once the hook is installed"
pre_commit install >/dev/null
if git commit -q -m "broken" >/dev/null 2>&1; then
  echo "FAIL: git commit accepted an invalid connection" >&2
  exit 1
fi
git rm -q --cached connections/dev/broken.yaml
git commit -q -m "valid only"
echo "pre-commit: 3 passed, 0 failed"
