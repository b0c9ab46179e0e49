#!/usr/bin/env python3
"""The seed's four integration examples, run against Jarvis Context.

A seed project's example_usage.py runs unchanged but for its imports, which become the two lines
below. Examples: 1. the manager on its own, 2. an orchestrator wrapped (and a decorated class),
3. crash recovery through the crash marker, 4. monitoring from asyncio tasks.

    pip install ./clients/python
    node dist/cli.js serve --path ./memory/context/jarvis &     # or run it from a VS Code terminal
    python3 examples/python/seed_usage.py

JARVIS_EXAMPLE_STEP_SECONDS scales the pauses of example 4 (default 1).
"""
import asyncio
import logging
import os

from jarvis_context import JarvisContextManager
from jarvis_context import JarvisOrchestratorWithContext, integrate_context_manager

logging.basicConfig(level=logging.WARNING)
STEP = float(os.environ.get("JARVIS_EXAMPLE_STEP_SECONDS", "1"))


class SimpleOrchestrator:
    """An orchestrator that knows nothing about Jarvis Context."""

    def __init__(self):
        self.tasks = {}

    def assign_task(self, task):
        self.tasks[task["id"]] = {"assigned_to": ["agent-001"], "status": "assigned"}
        return {"assigned_to": ["agent-001"]}

    def receive_message(self, message):
        return {"processed": True, "from": message["from_agent"]}

    def make_decision(self, decision_type, context):
        return {"decision": "Decision for %s" % decision_type, "reasoning": "Based on current context", "outcome": "pending"}


@integrate_context_manager
class ContextAwareOrchestrator:
    def __init__(self):
        self.name = "ContextAwareOrchestrator"

    def process_task(self, task_id):
        return True


def example_basic_usage():
    print("\n=== 1. Basic use ===")
    cm = JarvisContextManager()
    cm.update_task_progress("task-001", {
        "description": "Process data files", "status": "in_progress", "percentage": 25,
        "completed_subtasks": ["file_validation"], "blockers": [],
    })
    cm.log_decision(decision_type="resource_allocation", context="High priority task with deadline",
                    decision="Allocate agent-001 and agent-002", reasoning="Both agents have required capabilities",
                    outcome="success")
    cm.mark_recovery_point("Completed phase 1 of processing")
    status = cm.get_context_status()
    print("Active agents: %s, tasks: %s" % (status["active_agents"], status["task_count"]))
    return cm


def example_orchestrator_integration(base=None):
    print("\n=== 2. Orchestrator integration ===")
    orchestrator = JarvisOrchestratorWithContext(base or SimpleOrchestrator())
    result = orchestrator.assign_task({"id": "task-002", "description": "Analyze system logs", "priority": "high"})
    print("Task assigned: %s" % result)
    orchestrator.receive_message({"from_agent": "agent-001", "type": "progress_update", "content": "Task 50% complete",
                                  "task_id": "task-002", "status": "active"})
    decision = orchestrator.make_decision(decision_type="next_action", context={"current_load": 0.7})
    print("Decision made: %s" % decision)
    status = orchestrator.get_context_status()
    print("Context status: active agents %s, decisions %s" % (status["active_agents"], status["decision_count"]))
    decorated = ContextAwareOrchestrator()
    print("Decorated %s processed: %s" % (decorated.name, decorated.process_task("task-002")))
    return orchestrator, result, decision


def example_crash_recovery():
    print("\n=== 3. Crash recovery ===")
    cm = JarvisContextManager()
    cm.update_task_progress("task-003", {
        "description": "Critical data processing", "status": "in_progress", "percentage": 75,
        "completed_subtasks": ["validation", "transformation"], "blockers": [],
    })
    cm.save_context()
    cm.crash_marker.touch()  # as if this run had died
    cm2 = JarvisContextManager()  # the restart: recovers in its constructor
    if "task-003" in cm2.active_context["task_progress"]:
        print("Successfully recovered task progress!")
        print("Task status: %s" % cm2.active_context["task_progress"]["task-003"]["status"])
    return cm2


async def example_async_monitoring():
    print("\n=== 4. Async monitoring ===")
    cm = JarvisContextManager()
    seen = []

    async def monitor_loop():
        for i in range(5):
            status = cm.get_context_status()
            seen.append(status["active_agents"])
            print("Monitor update %d: Active agents: %s" % (i, status["active_agents"]))
            await asyncio.sleep(2 * STEP)

    async def work_loop():
        for i in range(5):
            cm.update_agent_state("agent-%03d" % i, {"status": "active", "current_task": "task-%03d" % i})
            await asyncio.sleep(1.5 * STEP)

    await asyncio.gather(monitor_loop(), work_loop())
    return seen


if __name__ == "__main__":
    example_basic_usage()
    example_orchestrator_integration()
    example_crash_recovery()
    asyncio.run(example_async_monitoring())
    print("\n=== All examples completed ===")
