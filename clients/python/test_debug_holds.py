"""The debugger's holds from the Python client against a real server (`node dist/cli.js serve`):
a call held at a breakpoint does not return until the debugger continues it, Stop raises
RunCancelled, and a server killed while a call is held lets it go within hold_timeout."""

import json
import threading
import time
import unittest
import urllib.parse
import urllib.request

from jarvis_context import JarvisContextManager, RunCancelled
from test_jarvis_context import Server, TempDirTest


def api(server: Server, method: str, route: str, body=None):
    req = urllib.request.Request(server.endpoint["url"] + route, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + server.endpoint["token"], "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if text else None


def wait_for(what, probe, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        v = probe()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class DebugHoldTest(TempDirTest):
    def start(self) -> Server:
        server = Server(self.folder).start()
        self.servers.append(server)
        return server

    def manager(self, server: Server, **kw) -> JarvisContextManager:
        cm = JarvisContextManager(self.folder, url=server.endpoint["url"], token=server.endpoint["token"], spool=False, **kw)
        self.managers.append(cm)
        return cm

    def test_held_call_waits_for_continue_and_cancel_raises(self):
        server = self.start()
        cm = self.manager(server)
        api(server, "PUT", "/debug/session", {"session_id": "s", "breakpoints": [{"name": "decision:retry_*", "condition": "event.agent_id == \"planner\""}]})
        steps = []

        def orchestrator():
            cm.update_agent_state("planner", status="busy")
            steps.append("agent")
            cm.log_decision("retry_policy", {"attempt": 2}, "retry", "flaky network", agent_id="planner")
            steps.append("decision")

        t = threading.Thread(target=orchestrator)
        t.start()
        hold = wait_for("the hold", lambda: (api(server, "GET", "/debug/holds")["holds"] or [None])[0])
        self.assertEqual(hold["event"]["kind"], "decision")
        self.assertTrue(hold["source"]["file"].endswith("test_debug_holds.py"), hold["source"])
        self.assertEqual(hold["source"]["function"], "orchestrator")
        api(server, "GET", "/debug/holds?after=0&wait=0.3")
        self.assertEqual(steps, ["agent"], "the next line is not reached while held")
        self.assertEqual(len(api(server, "GET", "/decisions")["decisions"]) >= 1, True, "the held write is stored")
        api(server, "POST", "/debug/holds/%s" % urllib.parse.quote(hold["hold_id"]), {"action": "continue"})
        t.join(10)
        self.assertEqual(steps, ["agent", "decision"])

        outcome = []

        def cancelled():
            try:
                cm.log_decision("retry_policy", {}, "retry", "again", agent_id="planner")
                outcome.append("returned")
            except RunCancelled as e:
                outcome.append(e)

        t = threading.Thread(target=cancelled)
        t.start()
        hold = wait_for("the second hold", lambda: (api(server, "GET", "/debug/holds")["holds"] or [None])[0])
        api(server, "POST", "/debug/holds/%s" % urllib.parse.quote(hold["hold_id"]), {"action": "cancel"})
        t.join(10)
        self.assertIsInstance(outcome[0], RunCancelled)
        cm.update_agent_state("planner", status="idle")  # later calls work

    def test_server_killed_while_held_continues_within_hold_timeout(self):
        server = self.start()
        cm = self.manager(server, hold_timeout=1.5)
        api(server, "PUT", "/debug/session", {"session_id": "s", "breakpoints": [{"name": "task:deploy"}]})
        done = threading.Event()

        def orchestrator():
            cm.update_task_progress("deploy", status="in_progress", percentage=30)
            done.set()

        t = threading.Thread(target=orchestrator)
        t.start()
        wait_for("the hold", lambda: api(server, "GET", "/debug/holds")["holds"])
        self.assertFalse(done.is_set())
        killed = time.monotonic()
        server.kill()
        self.assertTrue(done.wait(10), "the held call went on")
        self.assertLess(time.monotonic() - killed, 1.5 + 2.0)
        again = self.start()
        tasks = api(again, "GET", "/task-progress")["tasks"]
        self.assertEqual([(x["task_id"], x["percentage"]) for x in tasks], [("deploy", 30)])


if __name__ == "__main__":
    unittest.main()
