"""An orchestrator that never restarts: it reports every step while the test kills and restarts
its server, and ends with a recovery point. Driven through files in CONTROL: `pause` holds its
writes, `stop` ends the run (as do 240 s, so a failed test leaves nothing running). Writes
<CONTROL>/<NAME>.done.json at the end. crash_through.py CONTROL NAME [SECONDS_BETWEEN_STEPS]"""
import json
import logging
import os
import sys
import time

from jarvis_context import JarvisContextManager

control, name = sys.argv[1], sys.argv[2]
pause_s = float(sys.argv[3]) if len(sys.argv) > 3 else 0.005
give_up = time.monotonic() + 240
# What the client did, with times: the test shows it when a step went wrong.
logging.basicConfig(filename=os.path.join(control, name + ".log"), level=logging.DEBUG,
                    format="%(asctime)s.%(msecs)03d %(threadName)s %(message)s", datefmt="%H:%M:%S")
cm = JarvisContextManager()  # JARVIS_CONTEXT_URL / _TOKEN / _PATH, as in a VS Code terminal
task = "run-" + name
cm.update_task_progress(task, {"description": "Pipeline run " + name, "status": "in_progress", "percentage": 0})
step = 0
slowest = 0.0
max_pending = 0
spooled_writes = 0
while not os.path.exists(os.path.join(control, "stop")) and time.monotonic() < give_up:
    if os.path.exists(os.path.join(control, "pause")):
        max_pending = max(max_pending, cm.pending_spooled())
        time.sleep(0.02)
        continue
    t = time.monotonic()
    answer = cm.log_agent_message(name, "planner", "progress", {"orchestrator": name, "step": step})
    if answer is None:
        spooled_writes += 1
    cm.update_task_progress(task, {"percentage": min(99, step // 10)})
    max_pending = max(max_pending, cm.pending_spooled())
    took = time.monotonic() - t
    if took > 2:
        logging.warning("step %d took %.1f s", step, took)
    slowest = max(slowest, took)
    step += 1
    time.sleep(pause_s)
# The last writes may still be in the spool: the background drain sends them.
deadline = time.monotonic() + 30
while cm.pending_spooled() and time.monotonic() < deadline:
    time.sleep(0.05)
cm.update_task_progress(task, {"status": "completed", "percentage": 100})
point = cm.mark_recovery_point("all tasks completed " + name)
with open(os.path.join(control, name + ".done.json"), "w") as f:
    json.dump({"steps": step, "max_pending": max_pending, "spooled_writes": spooled_writes,
               "pending_at_end": cm.pending_spooled(), "recovery_point": point,
               "slowest_s": slowest}, f)
