"""The debugger's holds from the Python client against a real server (`node dist/cli.js serve`):
a call held at a breakpoint does not return until the debugger continues it, Stop raises
RunCancelled, and a server killed while a call is held lets it go within hold_timeout."""

import asyncio
import json
import os
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request

from jarvis_context import AsyncJarvisContextManager, JarvisContextManager, RunCancelled
from jarvis_context import _http
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


class HoldServerTest(TempDirTest):
    def start(self) -> Server:
        server = Server(self.folder).start()
        self.servers.append(server)
        return server

    def manager(self, server: Server, **kw) -> JarvisContextManager:
        cm = JarvisContextManager(self.folder, url=server.endpoint["url"], token=server.endpoint["token"], spool=False, **kw)
        self.managers.append(cm)
        return cm


class DebugHoldTest(HoldServerTest):
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


class AsyncDebugHoldTest(HoldServerTest):
    def test_async_hold_keeps_the_event_loop_running_and_names_the_await_site(self):
        server = self.start()
        api(server, "PUT", "/debug/session", {"session_id": "s", "breakpoints": [{"name": "decision:approve"}]})
        steps, ticks = [], [0]

        async def ticker():
            while True:
                ticks[0] += 1
                await asyncio.sleep(0.01)

        async def orchestrator(cm):
            await cm.update_agent_state("planner", status="busy")  # learns that a session exists
            steps.append("agent")
            self.await_line = sys._getframe().f_lineno + 1
            await cm.log_decision("approve", {}, "ship it", "tests pass", agent_id="planner")
            steps.append("approved")
            try:
                await cm.log_decision("approve", {}, "again", "r", agent_id="planner")
            except RunCancelled:
                steps.append("cancelled")

        async def main():
            cm = await AsyncJarvisContextManager.create(self.folder, url=server.endpoint["url"], token=server.endpoint["token"], spool=False)
            tick = asyncio.create_task(ticker())
            run = asyncio.create_task(orchestrator(cm))
            try:
                holds = lambda: (api(server, "GET", "/debug/holds")["holds"] or [None])[0]
                hold = await asyncio.wait_for(asyncio.to_thread(wait_for, "the hold", holds), 15)
                before = ticks[0]
                await asyncio.sleep(0.3)
                self.assertGreater(ticks[0], before + 5, "the event loop runs while the call is held")
                self.assertEqual(steps, ["agent"], "the awaiting coroutine does not go on")
                self.assertEqual(hold["source"], {"file": os.path.abspath(__file__), "line": self.await_line, "function": "orchestrator"})
                await asyncio.to_thread(api, server, "POST", "/debug/holds/%s" % urllib.parse.quote(hold["hold_id"]), {"action": "continue"})
                second = await asyncio.to_thread(wait_for, "the second hold", lambda: [h for h in api(server, "GET", "/debug/holds")["holds"] if h["hold_id"] != hold["hold_id"]])
                await asyncio.to_thread(api, server, "POST", "/debug/holds/%s" % urllib.parse.quote(second[0]["hold_id"]), {"action": "cancel"})
                await asyncio.wait_for(run, 15)
            finally:
                tick.cancel()
                await cm.close()
            self.assertEqual(steps, ["agent", "approved", "cancelled"])

        asyncio.run(main())

    def test_no_stack_is_read_while_not_debugged(self):
        server = self.start()
        reads = []
        real = _http.caller

        def counted():
            reads.append(1)
            return real()

        _http.caller = counted
        try:
            cm = self.manager(server)
            for i in range(5):
                cm.log_decision("plan", {"i": i}, "d", "r")
                cm.update_task_progress("t%d" % i, status="pending")

            async def main():
                acm = await AsyncJarvisContextManager.create(self.folder, url=server.endpoint["url"], token=server.endpoint["token"], spool=False)
                for i in range(5):
                    await acm.log_decision("plan", {"i": i}, "d", "r")
                await acm.close()

            asyncio.run(main())
            self.assertEqual(reads, [], "no caller captured with no debug session")
            # The probe sees a read once a session exists (the first answer says so, the next write reads).
            api(server, "PUT", "/debug/session", {"session_id": "s", "breakpoints": [{"name": "decision:never"}]})
            cm.log_decision("plan", {}, "d", "r")
            cm.log_decision("plan", {}, "d", "r")
            self.assertEqual(len(reads), 1)
        finally:
            _http.caller = real


if __name__ == "__main__":
    unittest.main()
