#!/usr/bin/env bash
# Fails unless a release tag names the version in Cargo.toml: `v0.1.0` for
# version = "0.1.0". The release workflow runs it first, so binaries never
# say one version while their release says another.
# Usage: scripts/release-version.sh TAG
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: release-version.sh TAG" >&2; exit 64; }
tag="$1"
manifest="$(cd "$(dirname "$0")/.." && pwd)/Cargo.toml"
version="$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$manifest" | head -n 1)"
if [ -z "$version" ]; then
  echo "release-version.sh: no version = \"…\" in the [package] table of $manifest" >&2
  exit 1
fi
if [ "$tag" != "v$version" ]; then
  echo "release-version.sh: tag \`$tag\` does not match Cargo.toml's version \`$version\`: expected tag \`v$version\` (or bump Cargo.toml and tag again)" >&2
  exit 1
fi
echo "tag $tag matches Cargo.toml version $version"
