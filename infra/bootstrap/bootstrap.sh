#!/usr/bin/env bash
# Idempotent set-up for `npm start` / `npm test`: everything missing is installed into a cache
# outside the repository (default ~/.cache/mutualis), so a second run starts in seconds.
# Usage: bash infra/bootstrap/bootstrap.sh <start|test|env> [args…]
#   Prints nothing on stdout except what the command it runs prints; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${MUTUALIS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mutualis}"
NODE_MAJOR=24
PNPM_VERSION="12.21.0"
TEMPORAL_CLI_VERSION="$(cat "$ROOT/infra/temporal/VERSION")"
mkdir -p "$CACHE"

say() { printf '\033[1;34m[mutualis]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[mutualis]\033[0m %s\n' "$*" >&2; exit 1; }

case "$(uname -m)" in
  x86_64|amd64) NODE_ARCH=x64; GO_ARCH=amd64 ;;
  aarch64|arm64) NODE_ARCH=arm64; GO_ARCH=arm64 ;;
  *) die "Unsupported CPU architecture $(uname -m): install Node $NODE_MAJOR yourself and put it on PATH." ;;
esac

# --- Node 24 -------------------------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
ensure_node() {
  if command -v node >/dev/null && [ "$(node_major node)" -ge "$NODE_MAJOR" ]; then return; fi
  local dir="$CACHE/node-$NODE_MAJOR"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null || die "Node $NODE_MAJOR is needed and npm is missing to fetch it: install Node >= 20 (with npm) first."
    say "Installing Node $NODE_MAJOR (npm package node-linux-$NODE_ARCH@$NODE_MAJOR) into $dir"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_MAJOR" >/dev/null 2>&1) \
      || die "Could not download node-linux-$NODE_ARCH@$NODE_MAJOR from the npm registry."
    mkdir -p "$dir" && tar -xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
    chmod +x "$dir/bin/node"
  fi
  export PATH="$dir/bin:$PATH"
}

# --- pnpm ----------------------------------------------------------------------------------
ensure_pnpm() {
  local tools="$CACHE/pnpm-$PNPM_VERSION"
  if [ ! -x "$tools/bin/pnpm" ]; then
    say "Installing pnpm $PNPM_VERSION into $tools"
    # npm from the host (any version) only places files; pnpm itself then runs on Node 24.
    npm install --global --silent --no-audit --no-fund --prefix "$tools" "pnpm@$PNPM_VERSION" >/dev/null 2>&1 \
      || die "Could not install pnpm@$PNPM_VERSION from the npm registry."
  fi
  export PATH="$tools/bin:$PATH"
}

ensure_deps() {
  local stamp="$ROOT/node_modules/.mutualis-lock-hash" want
  want="$( (cat "$ROOT/pnpm-lock.yaml"; node -p process.version) | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "Installing dependencies from the lockfile (pnpm store in $CACHE/pnpm-store)"
  (cd "$ROOT" && pnpm install --frozen-lockfile --store-dir "$CACHE/pnpm-store" --reporter=append-only >&2)
  echo "$want" > "$stamp"
}

# --- Temporal CLI (holds the dev server) ----------------------------------------------------
ensure_temporal() {
  if [ -n "${TEMPORAL_ADDRESS:-}" ]; then return; fi
  if [ -n "${TEMPORAL_CLI:-}" ]; then [ -x "$TEMPORAL_CLI" ] || die "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable."; return; fi
  local dir="$CACHE/temporal-$TEMPORAL_CLI_VERSION"
  if [ -x "$dir/temporal" ]; then export TEMPORAL_CLI="$dir/temporal"; return; fi
  if command -v temporal >/dev/null; then export TEMPORAL_CLI="$(command -v temporal)"; return; fi
  mkdir -p "$dir"
  # 1. the official release archive
  local url="https://github.com/temporalio/cli/releases/download/v$TEMPORAL_CLI_VERSION/temporal_cli_${TEMPORAL_CLI_VERSION}_linux_$GO_ARCH.tar.gz"
  say "Fetching the Temporal CLI $TEMPORAL_CLI_VERSION release"
  if curl -fsSL --connect-timeout 10 --max-time 300 "$url" 2>/dev/null | tar -xz -C "$dir" temporal 2>/dev/null && [ -x "$dir/temporal" ]; then
    export TEMPORAL_CLI="$dir/temporal"; return
  fi
  # 2. a build from the Go module proxy (a Go toolchain from PATH, else the proxy's own toolchain module)
  say "Release not reachable; building the Temporal CLI $TEMPORAL_CLI_VERSION from the Go module proxy (minutes, once)"
  local go_bin; go_bin="$(command -v go || true)"
  if [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ]; then go_bin=/usr/local/go/bin/go; fi
  if [ -z "$go_bin" ]; then
    local gover="1.24.9" gdir="$CACHE/go-toolchain"
    if [ ! -x "$gdir/go/bin/go" ]; then
      say "No Go toolchain: fetching go$gover from the Go module proxy"
      local proxy="${GOPROXY:-https://proxy.golang.org}"; proxy="${proxy%%,*}"
      mkdir -p "$gdir" && curl -fsSL --max-time 600 "$proxy/golang.org/toolchain/@v/v0.0.1-go$gover.linux-$GO_ARCH.zip" -o "$gdir/go.zip" \
        && (cd "$gdir" && node -e 'require("child_process").execSync("unzip -q go.zip || python3 -m zipfile -e go.zip .",{stdio:"inherit"})' \
            && mv "golang.org/toolchain@v0.0.1-go$gover.linux-$GO_ARCH" go && chmod +x go/bin/* go/pkg/tool/*/* ) \
        || true
    fi
    [ -x "$gdir/go/bin/go" ] && go_bin="$gdir/go/bin/go"
  fi
  if [ -n "$go_bin" ]; then
    GOBIN="$dir" GOFLAGS=-mod=mod GOPATH="$CACHE/gopath" GOCACHE="$CACHE/go-build" \
      "$go_bin" install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >&2 || true
  fi
  [ -x "$dir/temporal" ] || die "No Temporal server available. Provide one of: TEMPORAL_ADDRESS=host:port of a running Temporal; \
TEMPORAL_CLI=/path/to/temporal; 'temporal' on PATH; network access to the official release ($url); or Go with access to the Go module proxy."
  export TEMPORAL_CLI="$dir/temporal"
}

# --- Chromium (browser tests only) -----------------------------------------------------------
ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then [ -x "$CHROMIUM_PATH" ] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable."; return; fi
  local c
  for c in /usr/lib/chromium/chromium /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    if [ -x "$c" ]; then export CHROMIUM_PATH="$c"; return; fi
  done
  if command -v apt-get >/dev/null; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    say "Installing Debian's chromium for browser tests (apt-get)"
    if $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2; then
      for c in /usr/lib/chromium/chromium /usr/bin/chromium; do [ -x "$c" ] && { export CHROMIUM_PATH="$c"; return; }; done
    fi
  fi
  die "Browser tests need Chromium: set CHROMIUM_PATH, or install it (Debian/Ubuntu: apt-get install chromium)."
}

# --- OpenLDAP's slapd (LDAP federation tests only) --------------------------------------------
# The test stack runs a private slapd on 127.0.0.1 with its own config and data under .data/; the
# package's own service is never wanted (it would hold port 389 with a throw-away dc=nodomain tree).
ensure_slapd() {
  if [ -n "${SLAPD_PATH:-}" ]; then [ -x "$SLAPD_PATH" ] || die "SLAPD_PATH=$SLAPD_PATH is not an executable."; return; fi
  if [ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] && command -v ldapsearch >/dev/null; then export SLAPD_PATH=/usr/sbin/slapd; return; fi
  command -v apt-get >/dev/null || die "LDAP tests need OpenLDAP's slapd: set SLAPD_PATH, or install it (Debian/Ubuntu: apt-get install slapd ldap-utils)."
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  say "Installing Debian's slapd and ldap-utils for the LDAP tests (apt-get; the system service is kept stopped)"
  # invoke-rc.d and deb-systemd-invoke ask policy-rc.d whether a service may start: 101 says no.
  # A policy already in place (containers ship one) is left as it is; ours is removed afterwards.
  local policy=/usr/sbin/policy-rc.d ours=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Written by Mutualis bootstrap while installing slapd: no service starts.\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"; ours=1
  fi
  local ok=0
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slapd ldap-utils >&2 && ok=1
  [ -n "$ours" ] && $sudo rm -f "$policy"
  [ "$ok" = 1 ] || die "Could not install slapd and ldap-utils with apt-get."
  # Should a service manager have started it anyway, stop it and keep it from starting at boot.
  if pgrep -x slapd >/dev/null 2>&1 && [ -f /run/slapd/slapd.pid ]; then
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then $sudo systemctl disable --now slapd >&2 || true
    else $sudo kill "$(cat /run/slapd/slapd.pid)" 2>/dev/null || true; fi
  fi
  export SLAPD_PATH=/usr/sbin/slapd
}

cmd="${1:-env}"; shift || true
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 XDG_CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
export MUTUALIS_CACHE="$CACHE"
ensure_node
ensure_pnpm
ensure_deps
ensure_temporal
case "$cmd" in
  start) exec node "$ROOT/infra/stack/start.ts" "$@" ;;
  test)  ensure_chromium; ensure_slapd; exec node "$ROOT/infra/stack/test.ts" "$@" ;;
  env)   echo "node=$(command -v node) pnpm=$(command -v pnpm) temporal=${TEMPORAL_CLI:-$TEMPORAL_ADDRESS}" ;;
  *) die "unknown command $cmd (start|test|env)" ;;
esac
