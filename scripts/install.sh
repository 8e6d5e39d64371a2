#!/usr/bin/env bash
# Installs a released `provision` binary into DIR after checking it against
# the release's SHA256SUMS; a copy already in DIR that still matches the
# checksum recorded when it was installed is kept (no download). Used by
# action.yml; runs anywhere with bash, curl and sha256sum (or shasum).
#
# Usage: scripts/install.sh VERSION DIR      VERSION: 0.1.0, v0.1.0 or latest
#
# Environment:
#   PROVISION_REPO           owner/name whose GitHub releases to use
#   PROVISION_DOWNLOAD_BASE  the releases root instead of
#                            https://github.com/$PROVISION_REPO/releases
#                            (a mirror; the tests' server on 127.0.0.1)
#   PROVISION_TARGET         the Rust target triple instead of this machine's
set -euo pipefail

die() {
  echo "install.sh: $*" >&2
  exit 1
}

[ $# -eq 2 ] || die "usage: install.sh VERSION DIR"
version="${1#v}"
dir="$2"
case "$version" in
  latest) ;;
  *)
    # The version becomes part of a URL and a path: nothing but a semver.
    printf '%s' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$' ||
      die "\`$1\` is not a release version: expected one like 0.1.0 or v0.1.0, or latest"
    ;;
esac

# The release's asset names are the Rust target triples it was built for.
target="${PROVISION_TARGET:-}"
if [ -z "$target" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "no release binary for the $(uname -m) architecture: build it with cargo install" ;;
  esac
  case "$(uname -s)" in
    Linux) target="$arch-unknown-linux-musl" ;;
    Darwin) target="$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN*) target="$arch-pc-windows-msvc" ;;
    *) die "no release binary for $(uname -s): build it with cargo install" ;;
  esac
fi
case "$target" in
  *-windows-*) exe=.exe ;;
  *) exe= ;;
esac
asset="provision-$target$exe"
bin="provision$exe"

if [ -n "${PROVISION_DOWNLOAD_BASE:-}" ]; then
  releases="${PROVISION_DOWNLOAD_BASE%/}"
elif [ -n "${PROVISION_REPO:-}" ]; then
  releases="https://github.com/$PROVISION_REPO/releases"
else
  die "set PROVISION_REPO (owner/name) or PROVISION_DOWNLOAD_BASE"
fi
if [ "$version" = latest ]; then
  url="$releases/latest/download"
else
  url="$releases/download/v$version"
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

# A copy installed earlier (a restored cache, a persistent runner) is used
# only if it still has the checksum it was verified with.
if [ "$version" != latest ] && [ -f "$dir/$bin" ] && [ -f "$dir/provision.sha256" ]; then
  if [ "$(sha256 "$dir/$bin")" = "$(cat "$dir/provision.sha256")" ]; then
    echo "provision $version: using the verified copy in $dir" >&2
    "$dir/$bin" --version >&2
    exit 0
  fi
  echo "provision $version: the copy in $dir does not match its checksum; downloading again" >&2
fi

# Plain http only to this machine (a test server); https everywhere else,
# redirects included (GitHub redirects downloads to its storage host).
case "$url" in
  http://127.0.0.1[:/]* | http://localhost[:/]*) proto='=http,https' ;;
  *) proto='=https' ;;
esac
fetch() {
  curl --fail --silent --show-error --location --retry 3 \
    --proto "$proto" --proto-redir "$proto" --output "$2" "$1" ||
    die "could not download $1"
}

mkdir -p "$dir"
partial="$dir/.$bin.partial"
sums="$dir/.SHA256SUMS.partial"
trap 'rm -f "$partial" "$sums"' EXIT
echo "provision $version: downloading $url/$asset" >&2
fetch "$url/SHA256SUMS" "$sums"
fetch "$url/$asset" "$partial"

expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$sums")"
[ -n "$expected" ] || die "$url/SHA256SUMS has no line for $asset"
actual="$(sha256 "$partial")"
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing installed"
fi

chmod 755 "$partial"
mv -f "$partial" "$dir/$bin"
printf '%s\n' "$expected" >"$dir/provision.sha256"
echo "provision $version: installed $dir/$bin (sha256 $expected verified)" >&2
"$dir/$bin" --version >&2
