"""clients/shared/cases.json, the behaviour both clients share (the TypeScript runner is
test/unit/client/sharedCases.test.ts): the same refusals, spool lines, server errors, replay,
unreachable-server answers and which endpoint.json is followed."""

import http.server
import json
import logging
import os
import threading
import time
import urllib.parse
import urllib.request
import uuid

from jarvis_context import JarvisContextError, JarvisContextManager, JarvisContextValidationError, RunCancelled
from jarvis_context._discovery import is_loopback_url
from test_jarvis_context import CLI, REPO, TempDirTest

with open(os.path.join(REPO, "clients", "shared", "cases.json"), encoding="utf-8") as f:
    CASES = json.load(f)

DOWN = "http://127.0.0.1:9"  # nothing listens on the discard port


def call(cm: JarvisContextManager, case: dict):
    name, args = case["call"], case["args"]
    if name in ("update_task_progress", "update_agent_state"):
        return getattr(cm, name)(case["id"], args)
    if name in ("log_decision", "update_context", "mark_recovery_point"):
        return getattr(cm, name)(args)
    if name == "log_agent_message":
        return cm.log_agent_message(**args)
    raise AssertionError("unknown call %s" % name)


class SharedCasesWithoutServer(TempDirTest):
    def test_invalid_input_is_refused_naming_the_field_and_nothing_is_spooled(self):
        cm = self.manager(self.folder, url=DOWN, token="x")
        for case in CASES["invalid"]:
            with self.subTest(call=case["call"], field=case["field"]):
                with self.assertRaises(JarvisContextValidationError) as caught:
                    call(cm, case)
                e = caught.exception
                self.assertEqual((e.status, e.code, e.field), (400, "bad_request", case["field"]))
        self.assertEqual(self.spool_lines(), [])

    def test_writes_to_an_unreachable_server_are_spooled_as_these_lines(self):
        cm = self.manager(self.folder, url=DOWN, token="x")
        for case in CASES["spooled"]:
            self.assertIsNone(call(cm, case))
        lines = self.spool_lines()
        self.assertEqual(len(lines), len(CASES["spooled"]))
        for line, case in zip(lines, CASES["spooled"]):
            with self.subTest(call=case["call"]):
                self.assertEqual(uuid.UUID(line.pop("event_id")).version, 4)
                self.assertEqual(line, case["event"])

    def test_a_dead_servers_endpoint_file_and_a_missing_one(self):
        expected = CASES["unreachable"]
        with open(os.path.join(self.folder, "endpoint.json"), "w") as f:
            json.dump({"url": DOWN, "token": "x", "pid": _dead_pid()}, f)
        for folder, want in ((self.folder, expected["no_spool_error"]), (os.path.join(self.root, "empty"), expected["no_endpoint_error"])):
            cm = self.manager(folder, spool=False)
            with self.assertRaises(JarvisContextError) as caught:
                cm.log_decision("a", None, "d", "r")
            e = caught.exception
            self.assertEqual((e.status, e.code), (want["status"], want["code"]))
            self.assertIn(want["message_contains"], str(e))
        self.assertIsNone(self.manager(self.folder).log_decision("a", None, "d", "r"))
        self.assertEqual(len(self.spool_lines()), 1)


class SharedCasesWithServer(TempDirTest):
    @classmethod
    def setUpClass(cls) -> None:
        if not os.path.exists(CLI):
            raise RuntimeError("%s is missing: run `npm run build` before the Python tests" % CLI)

    def test_a_call_is_held_at_a_breakpoint_until_the_debugger_continues_or_cancels_it(self):
        server = self.server()
        ep = server.endpoint
        cm = self.manager(self.folder, url=ep["url"], token=ep["token"], spool=False)

        def api(method, route, body=None):
            req = urllib.request.Request(ep["url"] + route, method=method, data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": "Bearer " + ep["token"], "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
                return json.loads(text) if text else None

        for case in CASES["holds"]:
            with self.subTest(breakpoint=case["breakpoint"]["name"]):
                api("PUT", "/debug/session", {"session_id": "shared", "breakpoints": [case["breakpoint"]]})
                outcome = []

                def run(case=case):
                    try:
                        call(cm, case)
                        outcome.append("returns")
                    except RunCancelled:
                        outcome.append("RunCancelled")

                t = threading.Thread(target=run)
                t.start()
                deadline = time.monotonic() + 10
                holds = []
                while not holds and time.monotonic() < deadline:
                    holds = api("GET", "/debug/holds")["holds"]
                    if not holds:
                        time.sleep(0.01)
                self.assertTrue(holds, "held")
                self.assertEqual(holds[0]["event"]["kind"], case["event_kind"])
                self.assertEqual(outcome, [], "the call waits")
                api("POST", "/debug/holds/" + urllib.parse.quote(holds[0]["hold_id"]), {"action": case["resolve"]})
                t.join(10)
                self.assertEqual(outcome, [case["expect"]])
                api("DELETE", "/debug/session/shared")

    def test_server_errors_carry_status_code_and_field(self):
        server = self.server()
        for case in CASES["server_errors"]:
            with self.subTest(route=case["route"], status=case["status"]):
                cm = self.manager(self.folder, url=server.endpoint["url"], token=case.get("token", server.endpoint["token"]))
                with self.assertRaises(JarvisContextError) as caught:
                    cm.request(case["method"], case["route"], case.get("body"))
                e = caught.exception
                self.assertEqual(e.status, case["status"])
                self.assertTrue(e.code and e.code != "bad_response", e.code)
                if "field" in case:
                    self.assertEqual(e.field, case["field"])

    def test_replay_of_a_spool_with_a_torn_line_and_a_refused_event(self):
        server = self.server()
        folder = os.path.join(self.root, "client")  # not the server's: only the client replays it
        os.makedirs(folder)
        replay = CASES["replay"]
        with open(os.path.join(folder, "spool.jsonl"), "w", encoding="utf-8") as f:
            f.write("\n".join(replay["spool"]) + "\n")
        cm = self.manager(folder, url=server.endpoint["url"], token=server.endpoint["token"])
        self.assertEqual(cm.pending_spooled(), 0)  # the constructor sent it
        self.assertEqual(sorted(d["decision"] for d in cm.get_decisions()), replay["decisions"])
        self.assertEqual(len(cm.get_messages()), replay["messages"])
        with open(os.path.join(folder, "spool.rejected.jsonl"), encoding="utf-8") as f:
            rejected = [json.loads(line) for line in f]
        self.assertEqual([r["event"]["event_id"] for r in rejected], [r["event_id"] for r in replay["rejected"]])
        for r, want in zip(rejected, replay["rejected"]):
            self.assertIn(want["field_contains"], r["error"]["field"])
        self.assertEqual(sorted(os.listdir(folder)), ["spool.rejected.jsonl"])  # nothing left to send


class FakeServer:
    """A server on 127.0.0.1 that answers everything, as a planted endpoint.json's would, and
    records what reached it."""

    def __init__(self):
        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps({"accepted": 1, "state": {"planted": True}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class SharedDiscoveryCases(TempDirTest):
    """Which endpoint.json is followed: never one a cloned repository could plant in place of the
    server the user named."""

    def test_loopback_urls(self):
        table = CASES["discovery"]["loopback"]
        self.assertEqual([u for u in table["accepted"] if not is_loopback_url(u)], [])
        self.assertEqual([u for u in table["refused"] if is_loopback_url(u)], [])

    def test_discovery_cases(self):
        if not os.path.exists(CLI):
            raise RuntimeError("%s is missing: run `npm run build` before the Python tests" % CLI)
        real = self.server()
        fake = FakeServer()
        self.addCleanup(fake.close)
        reader = self.manager(os.path.join(self.root, "reader"), url=real.endpoint["url"], token=real.endpoint["token"])
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        warnings = Warnings()
        log = logging.getLogger("jarvis_context")
        log.addHandler(warnings)
        self.addCleanup(log.removeHandler, warnings)
        self.addCleanup(log.setLevel, log.level)
        log.setLevel(logging.WARNING)
        self.addCleanup(setattr, log, "propagate", log.propagate)
        log.propagate = False  # expected warnings: kept for the assertions, out of the test output
        for n, case in enumerate(CASES["discovery"]["cases"]):
            with self.subTest(case=case["name"]):
                spec = case["file"]
                if spec.get("owner") == "other" and os.geteuid() != 0:
                    self.skipTest("chown to another user needs root")
                base = os.path.join(self.root, "case%d" % n)
                folder = os.path.join(base, "memory", "context", "jarvis") if case["folder"] == "default" else base
                os.makedirs(folder)
                values = {"real": real.endpoint["url"], "fake": fake.url, "down": DOWN}
                url = values.get(spec["url"], spec["url"])
                token = real.endpoint["token"] if spec["token"] == "real" else "planted-token"
                target = os.path.join(base, "elsewhere.json") if spec.get("symlink") else os.path.join(folder, "endpoint.json")
                with open(target, "w") as f:
                    json.dump({"url": url, "token": token, "pid": os.getpid()}, f)
                os.chmod(target, int(spec["mode"], 8))
                if spec.get("owner") == "other":
                    os.chown(target, 65534, 65534)
                if spec.get("symlink"):
                    os.symlink(target, os.path.join(folder, "endpoint.json"))
                if spec.get("fifo"):
                    os.unlink(target)
                    os.mkfifo(target, int(spec["mode"], 8))
                if "env_url" in case:
                    os.environ["JARVIS_CONTEXT_URL"] = values[case["env_url"]]
                if "env_token" in case:
                    os.environ["JARVIS_CONTEXT_TOKEN"] = real.endpoint["token"]
                if case["folder"] == "env":
                    os.environ["JARVIS_CONTEXT_PATH"] = folder
                os.chdir(base)
                kwargs = {}
                if "url_option" in case:
                    kwargs = {"url": real.endpoint["url"], "token": real.endpoint["token"]}
                del warnings.messages[:]
                del fake.requests[:]
                try:
                    cm = self.manager(folder if case["folder"] == "option" else None, **kwargs)
                    decision = "discovery case %d" % n
                    cm.log_decision("discovery", None, decision, "r")
                    restored = cm.restore_context()
                    cm.close()
                finally:
                    os.chdir(cwd)
                    for name in ("JARVIS_CONTEXT_URL", "JARVIS_CONTEXT_TOKEN", "JARVIS_CONTEXT_PATH"):
                        os.environ.pop(name, None)
                self.assertEqual(fake.requests, [])
                stored = [d["decision"] for d in reader.get_decisions(limit=1000)]
                spooled = [e.get("decision") for e in self.spool_lines(folder)]
                if case["reaches"] == "real":
                    self.assertIn(decision, stored)
                    self.assertEqual(spooled, [])
                    self.assertNotIn("planted", restored["state"])
                else:
                    self.assertNotIn(decision, stored)
                    self.assertEqual(spooled, [decision])
                    self.assertIsNone(restored)
                if "warning" in case:
                    self.assertTrue(any(case["warning"] in m for m in warnings.messages), warnings.messages)


def _dead_pid() -> int:
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid
