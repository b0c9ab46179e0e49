"""Tests of the jarvis_context manager against a real server (`node dist/cli.js serve`), plus the parts that
need none. Run from clients/python: python3 -m unittest -v (or `npm run test:python`)."""

import glob
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from jarvis_context import _spool as jarvis_context_spool
from jarvis_context import (JarvisContextError, JarvisContextManager, JarvisContextUnavailable,
                            JarvisContextValidationError)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.join(REPO, "dist", "cli.js")
EXAMPLE = os.path.join(REPO, "examples", "python", "orchestrator.py")
START_TIMEOUT = 30.0
# The client's spooling warnings are expected here; keep the test output readable.
logging.getLogger("jarvis_context").setLevel(logging.ERROR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`jarvis-context serve` on a folder, as a subprocess."""

    def __init__(self, folder: str, port: int = 0):
        self.folder = folder
        self.port = port
        self.proc = None
        self.endpoint = None

    def start(self) -> "Server":
        if not os.path.exists(CLI):
            raise RuntimeError("%s is not built: run `npm run build` first" % CLI)
        log = open(os.path.join(self.folder, "..", os.path.basename(self.folder) + ".server.log"), "ab")
        env = dict(os.environ)
        for key in ("JARVIS_CONTEXT_URL", "JARVIS_CONTEXT_TOKEN", "JARVIS_CONTEXT_PORT"):
            env.pop(key, None)
        self.proc = subprocess.Popen(["node", CLI, "serve", "--path", self.folder, "--port", str(self.port)],
                                     stdout=log, stderr=log, env=env, cwd=REPO)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("`node dist/cli.js serve` exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                with open(os.path.join(self.folder, "endpoint.json")) as f:
                    ep = json.load(f)
                if ep.get("pid") == self.proc.pid:
                    self.endpoint = ep
                    return self
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not write endpoint.json within %ss:\n%s" % (START_TIMEOUT, self.log()))

    def log(self) -> str:
        try:
            with open(os.path.join(self.folder, "..", os.path.basename(self.folder) + ".server.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9: no shutdown, endpoint.json left behind."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class TempDirTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = tempfile.mkdtemp(prefix="jarvis-py-")
        self.folder = os.path.join(self.root, "store")
        os.makedirs(self.folder)
        self.servers = []
        self.managers = []
        # The tests say where everything is; nothing may come from the environment.
        self._saved_env = {k: os.environ.pop(k) for k in ("JARVIS_CONTEXT_URL", "JARVIS_CONTEXT_TOKEN", "JARVIS_CONTEXT_PATH") if k in os.environ}

    def tearDown(self) -> None:
        for cm in self.managers:
            cm.close()
        for s in self.servers:
            s.stop()
        os.environ.update(self._saved_env)
        shutil.rmtree(self.root, ignore_errors=True)

    def server(self, folder=None, port=0) -> Server:
        s = Server(folder or self.folder, port).start()
        self.servers.append(s)
        return s

    def manager(self, *args, **kwargs) -> JarvisContextManager:
        cm = JarvisContextManager(*args, **kwargs)
        self.managers.append(cm)
        return cm

    def spool_lines(self, folder=None):
        """Spooled events, oldest first: a spool taken for sending (spool.sending.<pid>.jsonl)
        whose send failed, then spool.jsonl."""
        folder = folder or self.folder
        paths = sorted(glob.glob(os.path.join(folder, "spool.sending.*.jsonl"))) + [os.path.join(folder, "spool.jsonl")]
        lines = []
        for path in paths:
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    lines += [json.loads(line) for line in f if line.strip()]
        return lines


class WithoutServerTest(TempDirTest):
    """What the client does on its own: validation and spooling."""

    def test_bad_input_raises_a_clear_exception_and_spools_nothing(self):
        cm = self.manager(self.folder)
        cases = [
            (lambda: cm.update_task_progress("t1", {"percentage": 150}), "percentage"),
            (lambda: cm.update_task_progress("t1", {"status": "assigning"}), "status"),
            (lambda: cm.update_task_progress("t1", "half done"), "progress"),
            (lambda: cm.update_task_progress("", {"status": "pending"}), "task_id"),
            (lambda: cm.update_task_progress("t1", blockers="none"), "blockers"),
            (lambda: cm.log_decision("assign", "ctx", None, "why"), "decision"),
            (lambda: cm.log_decision({"decision_type": "assign", "decision": "d", "reasoning": "r", "colour": 1}), "colour"),
            (lambda: cm.update_agent_state("a1", {"capabilities": "python"}), "capabilities"),
            (lambda: cm.log_agent_message("a1", "", "ping", "hi"), "to_agent"),
            (lambda: cm.update_context({"x": float("nan")}), "context"),
            (lambda: cm.update_context({"x": object()}), "context"),
            (lambda: cm.mark_recovery_point(""), "label"),
        ]
        for call, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(JarvisContextValidationError) as caught:
                    call()
                self.assertEqual(caught.exception.field, field)
                self.assertIn(field, str(caught.exception))
                self.assertIsInstance(caught.exception, ValueError)
        self.assertEqual(self.spool_lines(), [])

    def test_unreachable_server_spools_each_write_as_an_event_with_a_unique_id(self):
        cm = self.manager(self.folder)
        self.assertIsNone(cm.update_task_progress("t1", {"status": "in_progress", "percentage": 10, "owner": "x"}))
        self.assertIsNone(cm.log_decision("assign", {"why": 1}, "t1 to a1", "capable", agent_id="a1", task_id="t1"))
        self.assertIsNone(cm.update_agent_state("a1", status="busy", current_task="t1"))
        self.assertIsNone(cm.log_agent_message("orchestrator", "a1", "assign", {"task": "t1"}))
        self.assertIsNone(cm.update_context(phase="run"))
        lines = self.spool_lines()
        self.assertEqual([e["type"] for e in lines], ["task", "decision", "agent", "message", "context"])
        ids = [e["event_id"] for e in lines]
        self.assertEqual(len(set(ids)), 5)
        for i in ids:
            self.assertEqual(uuid.UUID(i).version, 4)
        self.assertEqual(lines[0]["metadata"], {"owner": "x"})  # unknown seed keys kept as metadata
        self.assertEqual(lines[4]["context"], {"phase": "run"})
        self.assertEqual(cm.pending_spooled(), 5)

    def test_without_spool_an_unreachable_server_raises(self):
        cm = self.manager(self.folder, spool=False)
        with self.assertRaises(JarvisContextUnavailable) as caught:
            cm.log_decision("a", "c", "d", "r")
        self.assertEqual(caught.exception.status, 0)
        with self.assertRaises(JarvisContextUnavailable):
            cm.get_context_status()
        self.assertIsNone(cm.restore_context())

    def test_a_torn_last_line_is_ended_and_skipped(self):
        cm = self.manager(self.folder)
        cm.log_decision("a", "c", "first", "r")
        with open(cm.spool_path, "ab") as f:
            f.write(b'{"event_id":"x","type":"deci')  # a writer killed mid-line
        cm.log_decision("a", "c", "second", "r")
        with open(cm.spool_path, "rb") as f:
            self.assertEqual([e["decision"] for e in jarvis_context_spool.parse_spool(f.read())], ["first", "second"])

    def test_processes_appending_at_once_never_interleave_lines(self):
        procs = [multiprocessing.Process(target=_append_many, args=(self.folder, n)) for n in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            self.assertEqual(p.exitcode, 0)
        lines = self.spool_lines()  # json.loads fails on an interleaved line
        self.assertEqual(len(lines), 4 * 100)
        self.assertEqual(len({e["event_id"] for e in lines}), 400)


    def test_the_store_folder_is_made_0700_and_the_spool_0600_whatever_the_umask(self):
        folder = os.path.join(self.root, "made", "here", "store")
        old = os.umask(0)
        try:
            cm = self.manager(folder, url="http://127.0.0.1:9", token="x")
            self.assertIsNone(cm.log_decision("a", None, "d", "r"))
        finally:
            os.umask(old)
        for path in (folder, os.path.dirname(folder), os.path.dirname(os.path.dirname(folder))):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o700, path)
        self.assertEqual(stat.S_IMODE(os.stat(self.root).st_mode), 0o700)  # mkdtemp's: not ours to change
        self.assertEqual(stat.S_IMODE(os.stat(cm.spool_path).st_mode), 0o600)


def _append_many(folder: str, n: int) -> None:
    cm = JarvisContextManager(folder)
    for i in range(100):
        cm.log_agent_message("p%d" % n, "orchestrator", "tick", {"i": i, "pad": "x" * 3000})


class WithServerTest(TempDirTest):
    """Against `node dist/cli.js serve`."""

    @classmethod
    def setUpClass(cls) -> None:
        # A clear failure, not a silent skip, when the server is not built.
        if not os.path.exists(CLI):
            raise RuntimeError("%s is missing: run `npm run build` before the Python tests" % CLI)

    def counts(self, cm):
        return cm.get_context_status()["counts"]

    def test_quick_start_from_the_readme_runs_as_written(self):
        self.server()
        with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
            block = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
        self.assertIn("from jarvis_context import JarvisContextManager", block)
        os.environ["JARVIS_CONTEXT_PATH"] = self.folder
        try:
            scope = {}
            exec(compile(block, "README.md", "exec"), scope)
            scope["cm"].close()
        finally:
            del os.environ["JARVIS_CONTEXT_PATH"]
        cm = self.manager(self.folder)
        task = {t["task_id"]: t for t in cm.get_tasks()}["task-001"]
        self.assertEqual((task["status"], task["percentage"], task["completed_subtasks"]), ("in_progress", 50, ["validation"]))
        [decision] = cm.get_decisions()
        self.assertEqual((decision["decision_type"], decision["outcome"]), ("agent_assignment", "success"))
        self.assertEqual(cm.get_agent_state("agent-001")["current_task"], "task-001")
        self.assertEqual(len(cm.get_messages()), 1)
        self.assertEqual(cm.restore_context()["state"], {"phase": "processing", "queue": ["task-002"]})
        labels = [c["label"] for c in cm.request("GET", "/checkpoints")["checkpoints"]]
        self.assertIn("Critical phase completed", labels)

    def test_client_spools_while_the_server_is_down_and_replays_exactly_once(self):
        # The spool lives in a folder of its own here, so only the client can replay it.
        port = free_port()
        server = self.server(port=port)
        spool_dir = os.path.join(self.root, "client")
        cm = self.manager(spool_dir, url=server.endpoint["url"], token=server.endpoint["token"], timeout=5)
        cm.log_decision("assign", "c", "online-1", "r")
        cm.log_agent_message("orchestrator", "a1", "assign", "online")
        server.kill()

        for i in range(3):
            self.assertIsNone(cm.log_decision("assign", "c", "offline-%d" % i, "r", task_id="t1"))
        self.assertIsNone(cm.log_agent_message("a1", "orchestrator", "result", "offline-1"))
        self.assertIsNone(cm.log_agent_message("a1", "orchestrator", "result", "offline-2"))
        self.assertIsNone(cm.update_task_progress("t1", status="completed", percentage=100))
        self.assertEqual(cm.pending_spooled(), 6)

        self.server(port=port)  # same folder, same port, same token
        self.assertEqual(self.counts(cm)["decisions"], 4)  # the read sends the spool first
        self.assertEqual(cm.pending_spooled(), 0)
        self.assertEqual(cm.flush_spool(), 0)
        counts = self.counts(cm)
        self.assertEqual((counts["decisions"], counts["messages"]), (4, 3))
        self.assertEqual(sorted(d["decision"] for d in cm.get_decisions()),
                         ["offline-0", "offline-1", "offline-2", "online-1"])
        self.assertEqual(cm.get_tasks()[0]["status"], "completed")
        # Writes made after the replay land after the replayed ones.
        cm.log_decision("assign", "c", "online-2", "r")
        self.assertEqual(cm.get_decisions(limit=1)[0]["decision"], "online-2")

    def known_token(self) -> str:
        """The token the server in self.folder will use (it keeps the folder's token file)."""
        # The server keeps only a token of its own shape (43 base64url characters) in a private file.
        token = "spool-drain-test-token-0123456789abcdefABCD"
        fd = os.open(os.path.join(self.folder, "endpoint_token"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        return token

    def wait_drained(self, cm, seconds=30.0):
        deadline = time.monotonic() + seconds
        while cm.pending_spooled() and time.monotonic() < deadline:
            time.sleep(0.02)
        return cm.pending_spooled()

    def test_the_spool_drains_in_the_background_without_another_call(self):
        # The spool lives in a folder of its own, so only the client can send it.
        port = free_port()
        spool_dir = os.path.join(self.root, "client")
        cm = self.manager(spool_dir, url="http://127.0.0.1:%d" % port, token=self.known_token(), timeout=5)
        for i in range(20):
            self.assertIsNone(cm.log_agent_message("a1", "planner", "progress", {"i": i}))
        self.assertEqual(cm.pending_spooled(), 20)
        server = Server(self.folder, port)
        server.start()
        self.servers.append(server)
        # Nothing is called on cm: its background drain finds the server and sends everything.
        reader = self.manager(self.folder)
        # The server stores a batch before the client hears back and trims its spool: wait for both.
        deadline = time.monotonic() + 30
        while (reader.get_context_status()["counts"]["messages"] < 20 or cm.pending_spooled() > 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(cm.pending_spooled(), 0)
        self.assertEqual([m["content"]["i"] for m in reversed(reader.get_messages(limit=100))], list(range(20)))
        status = reader.request("GET", "/status")["since_start"]
        self.assertEqual(status["spool_from_clients"]["accepted"], 20)
        self.assertTrue(any(c["client"].startswith("python pid=%d " % os.getpid()) for c in status["clients"]), status["clients"])

    def test_ten_thousand_spooled_events_drain_in_order_exactly_once_while_new_writes_go_on(self):
        port = free_port()
        spool_dir = os.path.join(self.root, "client")
        cm = self.manager(spool_dir, url="http://127.0.0.1:%d" % port, token=self.known_token(), timeout=10)
        n = 10_000
        for start in range(0, n, 500):
            events = [{"type": "message", "from_agent": "a1", "to_agent": "planner", "message_type": "progress", "content": {"i": i}}
                      for i in range(start, start + 500)]
            self.assertFalse(cm.record(events))
        self.assertEqual(cm.pending_spooled(), n)
        self.server(port=port)
        # New writes while the backlog drains (from a2): each goes after everything spooled before it.
        more = 0
        while cm.pending_spooled() and more < 2_000:
            cm.log_agent_message("a2", "planner", "progress", {"i": more})
            more += 1
        for _ in range(20):
            cm.log_agent_message("a2", "planner", "progress", {"i": more})
            more += 1
        self.assertEqual(self.wait_drained(cm), 0)
        reader = self.manager(self.folder)
        spooled = list(reversed(reader.get_messages(limit=10_000, agent_id="a1")))
        fresh = list(reversed(reader.get_messages(limit=10_000, agent_id="a2")))
        self.assertEqual([m["content"]["i"] for m in spooled], list(range(n)))
        self.assertEqual([m["content"]["i"] for m in fresh], list(range(more)))
        self.assertLess(spooled[-1]["id"], fresh[0]["id"])
        self.assertEqual(reader.get_context_status()["counts"]["messages"], n + more)

    def test_spool_left_in_the_server_folder_is_stored_once_after_restart(self):
        server = self.server()
        cm = self.manager(self.folder)
        cm.log_decision("assign", "c", "before", "r")
        server.kill()
        self.assertIsNone(cm.log_decision("assign", "c", "while-down", "r"))
        self.assertIsNone(cm.log_agent_message("a1", "orchestrator", "result", "while-down"))
        self.server()  # new port: the client finds it through the new endpoint.json
        counts = self.counts(cm)
        self.assertEqual((counts["decisions"], counts["messages"]), (2, 1))
        self.assertEqual(self.spool_lines(), [])
        # A second client on the same folder finds nothing left to send.
        other = self.manager(self.folder)
        self.assertEqual(other.flush_spool(), 0)
        self.assertEqual(self.counts(other)["decisions"], 2)

    def test_the_same_spooled_batch_sent_twice_is_stored_once(self):
        self.server()
        cm = self.manager(self.folder)
        batch = [
            {"event_id": str(uuid.uuid4()), "type": "decision", "decision_type": "a", "context": None, "decision": "d1", "reasoning": "r"},
            {"event_id": str(uuid.uuid4()), "type": "message", "from_agent": "a", "to_agent": "b", "message_type": "m", "content": "x"},
            {"event_id": str(uuid.uuid4()), "type": "decision", "decision_type": "a", "context": None, "decision": "d2", "reasoning": "r"},
        ]
        text = "".join(json.dumps(e) + "\n" for e in batch)
        for _ in range(2):
            with open(cm.spool_path, "a") as f:
                f.write(text)
            self.assertEqual(cm.flush_spool(), 3)
        again = cm.request("POST", "/events", {"events": batch})
        self.assertEqual(again, {"accepted": 0, "duplicates": 3})
        counts = self.counts(cm)
        self.assertEqual((counts["decisions"], counts["messages"]), (2, 1))

    def test_a_spooled_event_the_server_refuses_is_set_aside_not_blocking_the_rest(self):
        self.server()
        cm = self.manager(self.folder)
        good = {"event_id": str(uuid.uuid4()), "type": "decision", "decision_type": "a", "context": None, "decision": "ok", "reasoning": "r"}
        bad = {"event_id": str(uuid.uuid4()), "type": "task", "task_id": "t1", "percentage": 900}
        with open(cm.spool_path, "w") as f:
            f.write(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
        old = os.umask(0)
        try:
            cm.flush_spool()
        finally:
            os.umask(old)
        self.assertEqual([d["decision"] for d in cm.get_decisions()], ["ok"])
        with open(cm.rejected_path) as f:
            [rejected] = [json.loads(line) for line in f]
        self.assertEqual(rejected["event"], bad)
        self.assertEqual(cm.pending_spooled(), 0)
        self.assertEqual(stat.S_IMODE(os.stat(cm.rejected_path).st_mode), 0o600)  # it holds the orchestrator's records

    def test_server_errors_carry_status_code_and_field(self):
        server = self.server()
        cm = self.manager(self.folder)
        with self.assertRaises(JarvisContextError) as caught:
            cm.request("PUT", "/tasks/t1", {"percentage": "half"})
        e = caught.exception
        self.assertEqual((e.status, e.field), (400, "percentage"))
        self.assertIn("percentage", str(e))
        with self.assertRaises(JarvisContextError) as caught:
            cm.request("GET", "/no-such-route")
        self.assertEqual(caught.exception.status, 404)
        wrong = self.manager(self.folder, url=server.endpoint["url"], token="not-the-token")
        with self.assertRaises(JarvisContextError) as caught:
            wrong.log_decision("a", "c", "d", "r")  # a wrong token is not spooled
        self.assertEqual(caught.exception.status, 401)
        self.assertEqual(self.spool_lines(), [])

    def test_example_orchestrator_resumes_after_kill_9(self):
        self.server()
        # The package as installed (PYTHONPATH stands for pip install): the example has no path of its own.
        env = dict(os.environ, JARVIS_CONTEXT_PATH=self.folder, JARVIS_EXAMPLE_STEP_SECONDS="0.1", PYTHONUNBUFFERED="1", PYTHONPATH=HERE)
        first = subprocess.Popen([sys.executable, EXAMPLE], stdout=subprocess.PIPE, env=env, text=True)
        seen = []
        for line in first.stdout:
            if line.startswith("completed "):
                seen.append(line.split()[1])
            if len(seen) == 2:
                break
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        first.stdout.close()
        self.assertEqual(seen, ["task-1", "task-2"])

        second = subprocess.run([sys.executable, EXAMPLE], stdout=subprocess.PIPE, env=env, text=True, timeout=120)
        self.assertEqual(second.returncode, 0)
        out = second.stdout.splitlines()
        self.assertTrue(out[0].startswith("resuming; already done: task-1, task-2"), out)
        redone = [line.split()[1] for line in out if line.startswith("completed ")]
        self.assertNotIn("task-1", redone)
        self.assertNotIn("task-2", redone)
        self.assertIn("task-5", redone)

        cm = self.manager(self.folder)
        self.assertEqual({t["task_id"]: t["status"] for t in cm.get_tasks()},
                         {"task-%d" % i: "completed" for i in range(1, 6)})
        for task_id in ("task-1", "task-2"):  # assigned once: not redone
            self.assertEqual(len(cm.get_decisions(task_id=task_id)), 1)


    def test_restore_context_resumes_from_a_pending_resume_point_and_clears_it(self):
        self.server()
        cm = self.manager(self.folder)
        cm.update_context({"phase": "plan", "step": 1})
        checkpoint_id = cm.mark_recovery_point("planned")["checkpoint_id"]
        cm.update_context({"phase": "code", "step": 2})
        created = cm.set_resume_point(checkpoint_id, {"phase": "plan", "step": 1, "hint": "cache it"})
        self.assertEqual((created["parent_id"], created["edited"]), (checkpoint_id, True))
        self.assertEqual(cm.get_resume_point()["state"], {"phase": "plan", "step": 1, "hint": "cache it"})

        restarted = self.manager(self.folder)  # the orchestrator, started again
        view = restarted.restore_context()
        self.assertEqual(view["resume_point_id"], created["resume_point_id"])
        self.assertEqual(view["state"], {"phase": "plan", "step": 1, "hint": "cache it"})
        self.assertIsNone(restarted.get_resume_point())
        self.assertEqual(restarted.get_decisions(limit=1)[0]["decision_type"], "resume")
        # Later writes build on the resumed state; the next restore is the live context.
        restarted.record([], {"step": 3})
        self.assertEqual(restarted.restore_context()["state"], {"phase": "plan", "step": 3, "hint": "cache it"})
        self.assertNotIn("resume_point_id", restarted.restore_context())
        forks = [c for c in cm.get_checkpoints() if c["kind"] == "fork"]
        self.assertEqual([(c["checkpoint_id"], c["parent_id"]) for c in forks], [(created["checkpoint_id"], checkpoint_id)])

    def test_set_resume_point_errors_name_the_field(self):
        self.server()
        cm = self.manager(self.folder)
        with self.assertRaises(JarvisContextError) as caught:
            cm.set_resume_point(999)
        self.assertEqual((caught.exception.status, caught.exception.field), (404, "checkpoint_id"))
        checkpoint_id = cm.mark_recovery_point("rp")["checkpoint_id"]
        with self.assertRaises(JarvisContextError) as caught:
            cm.request("POST", "/resume-point", {"checkpoint_id": checkpoint_id, "state": ["not", "an", "object"]})
        self.assertEqual((caught.exception.status, caught.exception.field), (400, "state"))
        self.assertIsNone(cm.get_resume_point())

    def test_example_forked_with_an_edited_state_resumes_from_the_edit_after_a_restart(self):
        """The resume flow end to end: run, fork with an edited state, restart, the edit is followed."""
        server = self.server()
        env = dict(os.environ, JARVIS_CONTEXT_PATH=self.folder, JARVIS_EXAMPLE_STEP_SECONDS="0.01", PYTHONUNBUFFERED="1", PYTHONPATH=HERE)
        first = subprocess.run([sys.executable, EXAMPLE], stdout=subprocess.PIPE, env=env, text=True, timeout=120)
        self.assertEqual(first.returncode, 0)
        self.assertIn("all tasks completed", first.stdout)

        cm = self.manager(self.folder)
        after_2 = next(c for c in cm.get_checkpoints() if c["label"] == "after task-2")
        state = cm.request("GET", "/checkpoints/%d" % after_2["checkpoint_id"])["state"]
        self.assertEqual(state["queue"], ["task-3", "task-4", "task-5"])
        # The user's edit: task-4 dropped, task-5 first.
        created = cm.set_resume_point(after_2["checkpoint_id"], dict(state, queue=["task-5", "task-3"]))
        cm.close()
        # The server dies and comes back too: the pending resume point was durable.
        server.kill()
        self.server()

        second = subprocess.run([sys.executable, EXAMPLE], stdout=subprocess.PIPE, env=env, text=True, timeout=120)
        self.assertEqual(second.returncode, 0)
        out = second.stdout.splitlines()
        self.assertEqual(out[:2], ["resuming from checkpoint #%d (a fork chosen in Jarvis Context)" % created["checkpoint_id"],
                                   "resuming; already done: task-1, task-2"])
        self.assertEqual([line.split()[1] for line in out if line.startswith("completed ")], ["task-5", "task-3"])

        cm = self.manager(self.folder)
        self.assertIsNone(cm.get_resume_point())
        resumed = [d for d in cm.get_decisions(limit=100) if d["decision_type"] == "resume"]
        self.assertEqual(len(resumed), 1)
        self.assertIn("checkpoint #%d (\"after task-2\") with an edited state" % after_2["checkpoint_id"], resumed[0]["decision"])
        self.assertEqual(cm.restore_context()["state"]["queue"], [])
        # History is kept: task-4 ran in the first run and was never run again.
        self.assertEqual(len(cm.get_decisions(task_id="task-4")), 1)
        # A third start restores the live context: nothing is pending any more.
        third = subprocess.run([sys.executable, EXAMPLE], stdout=subprocess.PIPE, env=env, text=True, timeout=120)
        self.assertNotIn("resuming from checkpoint", third.stdout)

if __name__ == "__main__":
    unittest.main()
