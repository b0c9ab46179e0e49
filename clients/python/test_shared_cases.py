"""clients/shared/cases.json, the behaviour both clients share (the TypeScript runner is
test/unit/client/sharedCases.test.ts): the same refusals, spool lines, server errors, replay and
unreachable-server answers."""

import json
import os
import uuid

from jarvis_context import JarvisContextError, JarvisContextManager, JarvisContextValidationError
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


def _dead_pid() -> int:
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid
