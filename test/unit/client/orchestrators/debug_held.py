"""An orchestrator stopped at a debugger's breakpoint when VS Code dies: numbered steps, a search
tool call (where the breakpoint holds it), more steps. In CONTROL it appends every step it reached
to steps.txt and every step the server acknowledged to acked.txt (a spooled step is not
acknowledged yet); at the end it writes done.json with the wall-clock time the held call returned.
debug_held.py CONTROL RUN STEPS_BEFORE STEPS_AFTER"""
import json
import logging
import os
import sys
import time

from jarvis_context import JarvisContextManager

control, run = sys.argv[1], sys.argv[2]
before, after = int(sys.argv[3]), int(sys.argv[4])
logging.basicConfig(filename=os.path.join(control, "client.log"), level=logging.DEBUG,
                    format="%(asctime)s.%(msecs)03d %(threadName)s %(message)s", datefmt="%H:%M:%S")
agent, task = "py-dbg", "research-" + run


def line(name, text):
    with open(os.path.join(control, name), "a") as f:
        f.write(text + "\n")


cm = JarvisContextManager()  # JARVIS_CONTEXT_URL / _TOKEN / _PATH, as in a VS Code terminal
cm.update_agent_state(agent, status="busy", current_task=task)
cm.update_task_progress(task, {"description": "Research run " + run, "status": "in_progress", "percentage": 0, "agent_id": agent})
spooled = 0


def step(n, to_agent="planner", message_type="progress", extra=None):
    global spooled
    content = dict({"run": run, "step": n}, **(extra or {}))
    if cm.log_agent_message(agent, to_agent, message_type, content) is None:
        spooled += 1
    else:
        line("acked.txt", str(n))
    line("steps.txt", str(n))


for n in range(before):
    step(n)
    time.sleep(0.02)
line("steps.txt", "searching")
step(before, "tool:search", "tool_call", {"task_id": task, "tool_name": "search", "arguments": {"query": "held " + run}})
released_at = time.time()
for n in range(before + 1, before + 1 + after):
    step(n)
    time.sleep(0.02)
# The steps written while the server was away wait in the spool: the background drain sends them
# once the next extension host's server answers (or that server takes the spool in as it starts,
# before it answers: then the last write may be spooled again, hence the second wait).
deadline = time.monotonic() + 120


def drained():
    while cm.pending_spooled() and time.monotonic() < deadline:
        time.sleep(0.05)


drained()
cm.update_task_progress(task, {"status": "completed", "percentage": 100})
drained()
with open(os.path.join(control, "done.json"), "w") as f:
    json.dump({"steps": before + 1 + after, "spooled_writes": spooled, "pending_at_end": cm.pending_spooled(),
               "released_at_ms": released_at * 1000}, f)
