#!/usr/bin/env python3
"""A small orchestrator that survives being killed.

It hands five tasks to three agents, reports everything to Jarvis Context, and on start reads the
context back (GET /context) to skip the tasks already completed. Kill it at any moment
(kill -9 included) and run it again: it continues where it was.

    pip install ./clients/python
    node dist/cli.js serve --path ./memory/context/jarvis &     # or run it from a VS Code terminal
    python3 examples/python/orchestrator.py

Its own state is {"phase", "completed", "queue"}: the queue is the tasks still to do, in order,
and a recovery point follows each task. To go back and try again differently: in VS Code, on the
recovery point "after task-2", run Edit and Fork..., change the queue (drop a task, reorder),
save and confirm; run the orchestrator again: it resumes from that checkpoint with your queue.
Without VS Code: JarvisContextManager().set_resume_point(checkpoint_id, state) does the same.

JARVIS_EXAMPLE_STEP_SECONDS sets how long each subtask "works" (default 0.5).
"""
import os
import sys
import time

from jarvis_context import JarvisContextManager

AGENTS = {
    "researcher": ["search", "summarise"],
    "coder": ["python", "typescript"],
    "reviewer": ["review"],
}
TASKS = [  # (task_id, description, agent, subtasks)
    ("task-1", "Collect the API docs", "researcher", ["search", "read", "summarise"]),
    ("task-2", "Write the parser", "coder", ["design", "implement", "test"]),
    ("task-3", "Review the parser", "reviewer", ["read", "comment"]),
    ("task-4", "Write the CLI", "coder", ["implement", "test"]),
    ("task-5", "Write the release notes", "researcher", ["draft", "edit"]),
]
BY_ID = {task[0]: task for task in TASKS}
STEP_SECONDS = float(os.environ.get("JARVIS_EXAMPLE_STEP_SECONDS", "0.5"))


def main() -> None:
    cm = JarvisContextManager()
    ctx = cm.restore_context()
    if ctx is None:
        sys.exit("Jarvis Context server not reachable: start `jarvis-context serve` or run from a VS Code terminal.")

    if ctx.get("resume_point_id") is not None:
        print("resuming from checkpoint #%d (a fork chosen in Jarvis Context)" % ctx["checkpoint_id"], flush=True)
    # Resume: what is completed stays completed; anything else starts over.
    done = {t["task_id"] for t in ctx["tasks"] if t["status"] == "completed"}
    if done:
        print("resuming; already done: " + ", ".join(sorted(done)), flush=True)
    # The tasks still to do, in order: the state's queue when there is one (a fork may have edited it).
    queue = (ctx.get("state") or {}).get("queue")
    if not isinstance(queue, list):
        queue = [task[0] for task in TASKS]
    queue = [task_id for task_id in queue if task_id in BY_ID and task_id not in done]

    for agent_id, capabilities in AGENTS.items():
        cm.update_agent_state(agent_id, {"status": "idle", "capabilities": capabilities})

    for task_id in list(queue):
        _, description, agent_id, subtasks = BY_ID[task_id]
        cm.log_decision(
            decision_type="agent_assignment",
            context={"task": task_id, "candidates": sorted(AGENTS)},
            decision="Assign %s to %s" % (task_id, agent_id),
            reasoning="%s has the capabilities %s" % (agent_id, ", ".join(AGENTS[agent_id])),
            agent_id=agent_id,
            task_id=task_id,
        )
        cm.update_task_progress(task_id, {"description": description, "status": "in_progress",
                                          "percentage": 0, "completed_subtasks": [], "agent_id": agent_id})
        cm.update_agent_state(agent_id, {"status": "busy", "current_task": task_id})
        cm.log_agent_message("orchestrator", agent_id, "task_assignment", {"task_id": task_id, "subtasks": subtasks})

        finished = []
        for subtask in subtasks:
            time.sleep(STEP_SECONDS)  # the agent at work
            finished.append(subtask)
            cm.update_task_progress(task_id, {"percentage": round(100 * len(finished) / len(subtasks)),
                                              "completed_subtasks": finished})

        cm.log_agent_message(agent_id, "orchestrator", "task_result", {"task_id": task_id, "ok": True})
        cm.update_task_progress(task_id, {"status": "completed", "percentage": 100})
        cm.update_agent_state(agent_id, {"status": "idle", "current_task": None})
        done.add(task_id)
        queue.remove(task_id)
        cm.update_context({"phase": "running", "completed": sorted(done), "queue": queue})
        cm.mark_recovery_point("after " + task_id)
        print("completed " + task_id, flush=True)

    cm.update_context({"phase": "finished", "completed": sorted(done), "queue": []})
    cm.mark_recovery_point("all tasks completed")
    print("all tasks completed", flush=True)
    cm.close()


if __name__ == "__main__":
    main()
