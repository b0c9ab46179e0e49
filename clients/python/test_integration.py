"""The seed's integration surface against a real server (`node dist/cli.js serve`): its
example_usage.py pattern (examples/python/seed_usage.py), the wrapper through a kill -9 of the
server, the async wrapper while the server hangs, the decorator, resuming, and the package
installed into a fresh virtual environment."""

import asyncio
import contextlib
import glob
import io
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import warnings

from jarvis_context import (AsyncJarvisContextManager, AsyncJarvisOrchestratorWithContext, JarvisContextManager,
                            JarvisOrchestratorWithContext, integrate_context_manager)
from jarvis_context._integration import _resume_calls
from test_jarvis_context import CLI, HERE, REPO, TempDirTest

SEED_EXAMPLE = os.path.join(REPO, "examples", "python", "seed_usage.py")


def load_seed_example():
    spec = importlib.util.spec_from_file_location("seed_usage", SEED_EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def oldest_python() -> str:
    """Python 3.9, the oldest the package claims, when this machine has it (pyenv or PATH)."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3"))) + [shutil.which("python3.9")]
    for python in candidates:
        if python and subprocess.run([python, "-c", "import venv"], capture_output=True).returncode == 0:
            return python
    return sys.executable


class SeedTest(TempDirTest):
    @classmethod
    def setUpClass(cls) -> None:
        if not os.path.exists(CLI):
            raise RuntimeError("%s is missing: run `npm run build` before the Python tests" % CLI)

    def setUp(self) -> None:
        super().setUp()
        os.environ["JARVIS_CONTEXT_PATH"] = self.folder  # the seed's JarvisContextManager() takes no arguments
        # The seed's examples never close their managers; their sockets go with the process.
        warnings.simplefilter("ignore", ResourceWarning)
        self.out = io.StringIO()
        redirect = contextlib.redirect_stdout(self.out)
        redirect.__enter__()
        self.addCleanup(redirect.__exit__, None, None, None)

    def tearDown(self) -> None:
        os.environ.pop("JARVIS_CONTEXT_PATH", None)
        super().tearDown()

    def store(self) -> JarvisContextManager:
        return self.manager(self.folder)


class SeedExampleTest(SeedTest):
    def test_the_four_seed_examples_run_as_a_user_runs_them(self):
        self.server()
        env = dict(os.environ, PYTHONPATH=HERE, JARVIS_EXAMPLE_STEP_SECONDS="0.02")
        run = subprocess.run([sys.executable, SEED_EXAMPLE], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        out = run.stdout
        self.assertIn("Task assigned: {'assigned_to': ['agent-001']}", out)
        self.assertIn("Decision made: {'decision': 'Decision for next_action', 'reasoning': 'Based on current context', 'outcome': 'pending'}", out)
        self.assertIn("Successfully recovered task progress!\nTask status: in_progress", out)
        self.assertIn("Monitor update 4: Active agents:", out)
        self.assertIn("=== All examples completed ===", out)

        cm = self.store()
        tasks = {t["task_id"]: t for t in cm.get_tasks()}
        self.assertEqual(sorted(tasks), ["task-001", "task-002", "task-003"])
        self.assertEqual((tasks["task-002"]["status"], tasks["task-002"]["agent_id"]), ("in_progress", "agent-001"))
        self.assertEqual((tasks["task-003"]["percentage"], tasks["task-003"]["completed_subtasks"]), (75, ["validation", "transformation"]))
        self.assertEqual(sorted(d["decision_type"] for d in cm.get_decisions()), ["next_action", "resource_allocation"])
        [message] = cm.get_messages()
        self.assertEqual((message["from_agent"], message["message_type"], message["content"]), ("agent-001", "progress_update", "Task 50% complete"))
        self.assertEqual(sorted(a["agent_id"] for a in cm.get_agents()), ["agent-%03d" % i for i in range(5)])
        # Example 3's crash marker made the restart run the server's recovery, and was then removed.
        self.assertEqual(cm.request("GET", "/recovery-report")["trigger"], "manual")
        self.assertFalse(os.path.exists(os.path.join(self.folder, "ORCHESTRATOR_CRASH_DETECTED")))

    def test_wrapper_through_a_kill_9_of_the_server_records_everything_exactly_once(self):
        server = self.server()
        seed = load_seed_example()
        killed = []

        class Orchestrator(seed.SimpleOrchestrator):
            def receive_message(self, message):
                server.kill()  # mid-call: the message went out before, the heartbeat after cannot
                killed.append(True)
                return super().receive_message(message)

            def ping_agent(self, agent_id):
                pass

        wrapper, result, decision = seed.example_orchestrator_integration(Orchestrator())
        self.assertEqual(killed, [True])
        # What the methods returned, untouched, and no exception with the server gone.
        self.assertEqual(result, {"assigned_to": ["agent-001"]})
        self.assertEqual(decision, {"decision": "Decision for next_action", "reasoning": "Based on current context", "outcome": "pending"})
        self.assertEqual(wrapper.tasks["task-002"]["status"], "assigned")  # forwarded attribute
        self.assertFalse(wrapper.get_context_status()["reachable"])
        spooled = self.spool_lines()
        self.assertEqual([e["type"] for e in spooled if e["type"] != "context"], ["agent", "decision"])

        self.server()  # a new port: found through the new endpoint.json
        cm2 = load_seed_example().example_crash_recovery()
        self.assertEqual(cm2.active_context["task_progress"]["task-003"]["percentage"], 75)
        self.assertEqual(self.spool_lines(), [])

        cm = self.store()
        self.assertEqual([d["decision_type"] for d in cm.get_decisions()], ["next_action"])
        self.assertEqual([m["message_type"] for m in cm.get_messages()], ["progress_update"])
        task = {t["task_id"]: t for t in cm.get_tasks()}["task-002"]
        self.assertEqual((task["status"], task["agent_id"], task["description"]), ("in_progress", "agent-001", "Analyze system logs"))
        agent = cm.get_agent_state("agent-001")
        self.assertEqual((agent["status"], agent["current_task"]), ("active", "task-002"))  # the spooled heartbeat
        # Every spooled event is stored: sending them again stores nothing new.
        again = cm.request("POST", "/events", {"events": spooled})
        self.assertEqual(again, {"accepted": 0, "duplicates": len(spooled)})
        state = cm.restore_context()["state"]
        self.assertEqual(state["current_task"]["assigned_agents"], ["agent-001"])
        self.assertEqual([h["type"] for h in state["conversation_history"]], ["progress_update"])
        self.assertIsNone(state["workflow_state"]["phase"])  # the decision finished

    def test_a_wrapper_with_no_server_at_all_spools_and_raises_only_the_orchestrators_own_errors(self):
        class Orchestrator:
            def assign_task(self, task):
                return {"assigned_to": ["a1"]}

            def handle_error(self, error):
                raise RuntimeError("cannot handle %s" % error)

        jarvis = JarvisOrchestratorWithContext(Orchestrator())
        self.assertEqual(jarvis.assign_task({"id": "t1", "description": "d"}), {"assigned_to": ["a1"]})
        with self.assertRaisesRegex(RuntimeError, "cannot handle boom"):
            jarvis.handle_error(ValueError("boom"))
        status = jarvis.get_context_status()
        self.assertEqual((status["reachable"], status["active_agents"]), (False, 0))
        self.assertEqual(jarvis.context_manager.active_context["task_progress"], {})
        self.assertEqual([e["type"] for e in self.spool_lines()], ["task", "task", "agent"])
        with self.assertRaises(TypeError):
            jarvis.context_manager.active_context["task_progress"] = {}  # a read-only view

        # The state a previous run left is not replaced by a partial one: the context changes wait.
        server = self.server()
        cm = self.store()
        self.assertEqual(cm.restore_context()["state"], {})
        jarvis.assign_task({"id": "t2"})
        state = cm.restore_context()["state"]
        self.assertEqual(state["current_task"]["id"], "t2")
        self.assertEqual(state["last_error"]["error_message"], "cannot handle boom")
        self.assertEqual(state["error_recovery"]["error_message"], "boom")
        self.assertEqual(sorted(t["task_id"] for t in cm.get_tasks()), ["t1", "t2"])
        server.stop()

    def test_decorated_class_and_resume_after_restart(self):
        self.server()
        resumed = []

        @integrate_context_manager
        class Orchestrator:
            def __init__(self):
                self.name = "o"

            def assign_task(self, task):
                return {"assigned_to": ["agent-9"]}

            def make_decision(self, decision_type, context):
                return {"decision": "split", "reasoning": "too big", "outcome": "ok", "task_id": "t-1"}

            def resume_task(self, current_task):
                resumed.append(current_task["id"])

        first = Orchestrator()
        self.assertEqual(first.assign_task({"id": "t-1", "description": "parse"}), {"assigned_to": ["agent-9"]})
        self.assertEqual(first.make_decision("split", {"size": 3})["decision"], "split")
        self.assertEqual(first.get_context_status()["current_task"]["id"], "t-1")
        self.assertIsNotNone(first.manual_checkpoint("after split"))
        self.assertEqual(resumed, [])

        Orchestrator()  # a restart: the unfinished task is handed back
        self.assertEqual(resumed, ["t-1"])
        cm = self.store()
        [d] = cm.get_decisions()
        self.assertEqual((d["decision_type"], d["context"], d["task_id"], d["outcome"]), ("split", {"size": 3}, "t-1", "ok"))
        cm.update_task_progress("t-1", status="completed")
        Orchestrator()
        self.assertEqual(resumed, ["t-1"])  # finished: not resumed again

    def test_stale_agents_are_pinged_and_finished_tasks_not_resumed(self):
        view = {"state": {"current_task": {"id": "t1", "status": "assigned"}},
                "tasks": [{"task_id": "t1", "status": "in_progress"}],
                "agents": [{"agent_id": "a1", "stale": True}, {"agent_id": "a2", "stale": False}]}
        self.assertEqual(_resume_calls(view), [("resume_task", {"id": "t1", "status": "assigned"}), ("ping_agent", "a1")])
        view["tasks"][0]["status"] = "completed"
        self.assertEqual(_resume_calls(view), [("ping_agent", "a1")])


class AsyncTest(SeedTest):
    def test_async_wrapper_never_blocks_the_event_loop_even_when_the_server_hangs(self):
        server = self.server()

        class Orchestrator:
            async def assign_task(self, task):
                await asyncio.sleep(0)
                return {"assigned_to": ["agent-1"]}

            async def receive_message(self, message):
                return {"processed": True}

        async def scenario():
            jarvis = AsyncJarvisOrchestratorWithContext(Orchestrator(), timeout=1.0)
            self.assertEqual(await jarvis.assign_task({"id": "t1"}), {"assigned_to": ["agent-1"]})
            gaps = []
            stop = asyncio.Event()

            async def ticker():
                last = time.monotonic()
                while not stop.is_set():
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    gaps.append(now - last)
                    last = now

            tick = asyncio.create_task(ticker())
            server.proc.send_signal(signal.SIGSTOP)  # answers nothing until SIGCONT: each request times out
            try:
                started = time.monotonic()
                result = await jarvis.receive_message({"from_agent": "agent-1", "type": "done", "content": "ok", "task_id": "t1"})
                waited = time.monotonic() - started
            finally:
                server.proc.send_signal(signal.SIGCONT)
                stop.set()
                await tick
            self.assertEqual(result, {"processed": True})
            self.assertGreater(waited, 0.9)  # the HTTP calls did wait on the server...
            self.assertLess(max(gaps), 0.3)  # ...in a thread: the loop kept running
            status = await jarvis.get_context_status()
            self.assertTrue(status["reachable"])
            await jarvis.aclose()

        asyncio.run(scenario())
        cm = self.store()
        self.assertEqual([m["message_type"] for m in cm.get_messages()], ["done"])  # exactly once
        self.assertEqual(cm.get_agent_state("agent-1")["current_task"], "t1")

    def test_status_from_asyncio_tasks_while_another_updates_agents(self):
        self.server()

        async def scenario():
            cm = await AsyncJarvisContextManager.create()
            seen = []

            async def monitor():
                for _ in range(6):
                    seen.append((await cm.get_context_status())["active_agents"])
                    await asyncio.sleep(0.01)

            async def work():
                for i in range(6):
                    await cm.update_agent_state("agent-%d" % i, {"status": "active"})

            await asyncio.gather(monitor(), work())
            final = (await cm.get_context_status())["active_agents"]
            view = await cm.active_context()
            await cm.close()
            return seen, final, view

        seen, final, view = asyncio.run(scenario())
        self.assertEqual(seen, sorted(seen))
        self.assertEqual(final, 6)
        self.assertEqual(sorted(view["agent_states"]), ["agent-%d" % i for i in range(6)])


class PackageTest(SeedTest):
    def test_fresh_venv_installs_the_package_offline_and_runs_the_quick_start(self):
        python = oldest_python()
        venv = os.path.join(self.root, "venv")
        subprocess.run([python, "-m", "venv", venv], check=True, timeout=120)
        vpy = os.path.join(venv, "bin", "python")
        install = subprocess.run([vpy, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", HERE],
                                 capture_output=True, text=True, timeout=300)
        self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
        [typed] = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "jarvis_context", "py.typed"))
        self.assertTrue(typed)

        self.server()
        with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
            block = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
        script = os.path.join(self.root, "quick_start.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(block + "\nimport jarvis_context, sys\nprint(jarvis_context.__file__, sys.version_info[:2])\n")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = subprocess.run([vpy, script], capture_output=True, text=True, timeout=60, env=env, cwd=self.root)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn(os.path.join(venv, "lib"), run.stdout)  # the installed package, not this folder
        cm = self.store()
        self.assertEqual(cm.get_tasks()[0]["task_id"], "task-001")
        self.assertEqual(len(cm.get_decisions()), 1)
        # The seed's examples, from the installed package too.
        env["JARVIS_EXAMPLE_STEP_SECONDS"] = "0.02"
        run = subprocess.run([vpy, SEED_EXAMPLE], capture_output=True, text=True, timeout=120, env=env, cwd=self.root)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Successfully recovered task progress!", run.stdout)


if __name__ == "__main__":
    unittest.main()
