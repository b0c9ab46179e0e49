"""JarvisContextManager: reports to the Jarvis Context server, spools while it is down.

The extension (or `jarvis-context serve`) owns the storage; this module reports to it over the
REST API (shared/API.md). When the server cannot be reached, writes go to `spool.jsonl` in the
storage folder and are sent on the next successful connection (see README.md, "Spool format").
Its rooms: _discovery (finding the server), _http (requests), _spool, _validate, _errors.
"""

import json
import logging
import os
import pathlib
import re
import sys
import threading
import types
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

from ._discovery import DEFAULT_CONTEXT_PATH, Discovery
from ._errors import JarvisContextError, JarvisContextUnavailable, JarvisContextValidationError
from ._http import Transport
from ._spool import Spool, ensure_private_dir
from ._validate import (TASK_STATUSES, agent_event, decision_event, encode_line, json_default, merge_args,
                        message_event, require_str, task_event)

__all__ = ["JarvisContextManager", "JarvisContextError", "JarvisContextUnavailable", "JarvisContextValidationError",
           "TASK_STATUSES", "CRASH_MARKER_FILE", "HISTORY_SIZE"]

logger = logging.getLogger("jarvis_context")

# The seed's crash marker, for the orchestrator's side (the server keeps its own CRASH_DETECTED).
CRASH_MARKER_FILE = "ORCHESTRATOR_CRASH_DETECTED"
HISTORY_SIZE = 100
# Background drain: first retry soon after the outage starts, then at most every 2 s.
_DRAIN_FIRST_S = 0.25
_DRAIN_MAX_S = 2.0

class JarvisContextManager:
    """Reports an orchestrator's tasks, agents, decisions, messages and state to Jarvis Context.

    base_path is the storage folder shared with the server (holding endpoint.json, and the spool);
    default JARVIS_CONTEXT_PATH or ./memory/context/jarvis. url/token default to
    JARVIS_CONTEXT_URL/JARVIS_CONTEXT_TOKEN, else endpoint.json, trusted only as _discovery.py
    says (README.md, "Finding the server"). With spool=False an unreachable server raises
    JarvisContextUnavailable instead of spooling.

    As in the seed, a `crash_marker` left in the folder (`cm.crash_marker.touch()`, or a run that
    died) makes the next JarvisContextManager() run recovery: the server's recovery report is in
    `last_recovery_report` and `active_context` holds what was restored.
    """

    def __init__(
        self,
        base_path: Optional[str] = None,
        *,
        url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = 10.0,
        hold_timeout: Optional[float] = None,
        spool: bool = True,
        start: bool = True,
    ):
        named = base_path or os.environ.get("JARVIS_CONTEXT_PATH")
        self.base_path = os.path.abspath(named or DEFAULT_CONTEXT_PATH)
        self._spool = Spool(self.base_path)
        self.spool_path = self._spool.path
        self.rejected_path = self._spool.rejected_path
        self.crash_marker = pathlib.Path(self.base_path, CRASH_MARKER_FILE)
        self.timeout = timeout
        self.spool_enabled = spool
        self._discovery = Discovery(self.base_path, bool(named), url, token)
        self._lock = threading.RLock()
        self._spooling = False
        self._drainer: Optional[threading.Thread] = None
        self._closing = threading.Event()
        program = re.sub(r"[^\x21-\x7e]", "_", os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "python"))[:60]
        self._http = Transport(self._discovery, timeout, program or "python", self._lock)
        if hold_timeout is not None:
            self._http.hold_timeout = hold_timeout
        # The orchestrator's own state as last sent or read (None: not known yet), and context
        # changes made while it was unknown and the server unreachable.
        self._state: Optional[Dict[str, Any]] = None
        self._pending_patch: Dict[str, Any] = {}
        self._last_view: Optional[dict] = None
        self.last_recovery_report: Optional[dict] = None
        if start:
            self.start()

    def start(self) -> None:
        """Sends what an earlier run spooled and, when the crash marker is there, recovers. Run by
        the constructor unless start=False (the async client runs it in a thread)."""
        ensure_private_dir(self.base_path)
        try:
            self.flush_spool()
        except JarvisContextError as e:
            logger.debug("spool not flushed at start: %s", e)
            if self.spool_enabled:
                self._ensure_drainer()
        if self.crash_marker.exists():
            logger.warning("Jarvis Context: %s found, the last run crashed; recovering", self.crash_marker)
            try:
                self.last_recovery_report = self.recover_from_crash()
                view = self._read("GET", "/context")
                self._last_view = view
                self._state = dict(view.get("state") or {})
                self.crash_marker.unlink()
            except JarvisContextError as e:
                # Kept: the next start tries again.
                logger.warning("Jarvis Context: recovery postponed, server unavailable: %s", e)

    # ---- Reporting (the seed's methods) ----

    def update_task_progress(self, task_id: str, progress: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        """Merges into the task: description, status, percentage, completed_subtasks, blockers,
        agent_id, metadata. Other keys go into metadata. Returns the answer, or None if spooled."""
        return self._write(task_event(task_id, progress, fields))

    def log_decision(
        self,
        decision_type: Any = None,
        context: Any = None,
        decision: Optional[str] = None,
        reasoning: Optional[str] = None,
        outcome: Any = None,
        agent_id: Optional[str] = None,
        task_id: Optional[str] = None,
    ) -> Optional[dict]:
        """Logs an orchestration decision. Also accepts one dict with the same keys."""
        if isinstance(decision_type, dict):
            fields = dict(decision_type)
        else:
            fields = {"decision_type": decision_type, "context": context, "decision": decision,
                      "reasoning": reasoning, "outcome": outcome, "agent_id": agent_id, "task_id": task_id}
        return self._write(decision_event(fields))

    def update_agent_state(self, agent_id: str, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        """Agent status, current_task, capabilities, metadata (other keys go into metadata); also a
        heartbeat. status defaults to "active"."""
        return self._write(agent_event(agent_id, state, fields))

    def log_agent_message(self, from_agent: str, to_agent: str, message_type: str, content: Any, response: Any = None) -> Optional[dict]:
        """Logs an inter-agent message. A seed-style `response` is kept beside the content."""
        return self._write(message_event(from_agent, to_agent, message_type, content, response))

    def update_context(self, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        """Replaces the orchestrator's own state: what restore_context() gives back after a crash."""
        merged = merge_args("state", state, fields)
        with self._lock:
            answer = self._write({"type": "context", "context": merged})
            self._state = json.loads(json.dumps(merged, default=json_default))
            self._pending_patch = {}
            return answer

    def record(self, events: Iterable[Dict[str, Any]],
               context_patch: Union[None, Dict[str, Any], Callable[[Dict[str, Any]], Dict[str, Any]]] = None) -> bool:
        """Sends events (entries of POST /events, without event_id) as one all-or-nothing batch,
        with the orchestrator's state merged with context_patch (a dict of top-level keys, or a
        function of the current state giving one). Never raises for an unreachable server: the
        batch is spooled. Returns True when the server acknowledged it."""
        batch = [dict(e) for e in events]
        with self._lock:
            if context_patch is not None:
                state = self._known_state()
                if state is None:
                    # Unknown state, unreachable server: a context event now would replace the
                    # state a previous run left. Keep the change until the server answers.
                    base = dict(self._pending_patch)
                    self._pending_patch.update(context_patch(base) if callable(context_patch) else context_patch)
                else:
                    state.update(self._pending_patch)
                    self._pending_patch = {}
                    state.update(context_patch(state) if callable(context_patch) else context_patch)
                    batch.append({"type": "context", "context": state})
            elif self._pending_patch and self._known_state() is not None:
                state = dict(self._state or {}, **self._pending_patch)
                self._pending_patch = {}
                self._state = state
                batch.append({"type": "context", "context": state})
            if not batch:
                return True
            answer = self._write_batch(batch)
            if context_patch is not None and self._state is not None:
                self._state = json.loads(json.dumps(self._state, default=json_default))
            return answer is not None

    def mark_recovery_point(self, label: str) -> Optional[dict]:
        """A recovery point (checkpoint with a binary copy). Not spoolable: returns None, with a
        warning, when the server is unreachable."""
        require_str("label", label)
        with self._lock:
            try:
                self._flush_spool_locked()
                return self._http.request("POST", "/recovery-points", {"label": label})
            except JarvisContextUnavailable as e:
                logger.warning("Jarvis Context unreachable, recovery point %r not taken: %s", label, e)
                return None

    def save_context(self, recovery_point: bool = False, reason: Optional[str] = None) -> Optional[dict]:
        """The seed's save_context: a recovery point, or a plain checkpoint."""
        if recovery_point:
            return self.mark_recovery_point(reason or "manual")
        return self.checkpoint(reason)

    # ---- Reading back ----

    def get_context_status(self) -> dict:
        """GET /status (session, last checkpoint, counts) plus the seed's keys: current_task,
        active_agents, task_count, conversation_size, decision_count, workflow_phase. When the
        server is unreachable (and spooling is on): the seed's keys from the last known context,
        with reachable False and pending_spooled."""
        with self._lock:
            try:
                status = dict(self._read("GET", "/status"))
                view = self._read_view()
            except JarvisContextUnavailable:
                if not self.spool_enabled:
                    raise
                view = self._last_view or {}
                counts = {"agents": len(view.get("agents") or []), "tasks": len(view.get("tasks") or []),
                          "decisions": len(view.get("recent_decisions") or [])}
                status = {"reachable": False, "pending_spooled": self.pending_spooled(), "counts": counts}
            else:
                status["reachable"] = True
            state = view.get("state") or {}
            counts = status.get("counts") or {}
            status.update({
                "current_task": state.get("current_task") or _idle_task(),
                "active_agents": counts.get("agents", 0),
                "task_count": counts.get("tasks", 0),
                "conversation_size": len(state.get("conversation_history") or []),
                "decision_count": counts.get("decisions", 0),
                "workflow_phase": (state.get("workflow_state") or {}).get("phase"),
            })
            return status

    @property
    def active_context(self) -> Mapping[str, Any]:
        """The seed's active_context, read from the server: current_task, task_progress (task_id
        -> task), agent_states (agent_id -> agent, with last_update), decision_log,
        conversation_history, error_recovery, workflow_state, and the rest of the orchestrator's
        state. A read-only snapshot: change the context through the reporting methods. When the
        server is unreachable: the last one read (empty at first)."""
        with self._lock:
            try:
                view = self._read_view()
            except JarvisContextUnavailable:
                view = self._last_view or {}
        return _seed_view(view)

    def restore_context(self) -> Optional[dict]:
        """The context to resume from ({state, tasks, agents, recent_decisions, updated_at}), after
        sending any spooled events; None when the server is unreachable. When the user chose a
        resume point in VS Code (the answer carries resume_point_id), its context is the one
        returned, and the resume point is cleared: the next start restores the live context."""
        try:
            with self._lock:
                view = self._read_view()
                resume_point_id = view.get("resume_point_id")
                if isinstance(resume_point_id, int):
                    # What the orchestrator goes on from: later context writes build on this state.
                    self._state = dict(view.get("state") or {})
                    self._pending_patch = {}
                    self._clear_resume_point(resume_point_id)
                return view
        except JarvisContextUnavailable as e:
            logger.warning("Jarvis Context unreachable, no context restored: %s", e)
            return None

    def _clear_resume_point(self, resume_point_id: int) -> None:
        try:
            self._http.request("DELETE", "/resume-point?resume_point_id=%d" % resume_point_id)
            logger.info("Jarvis Context: resumed from resume point %d", resume_point_id)
        except JarvisContextError as e:
            # 404: cleared or replaced meanwhile. Otherwise it stays pending and the next start
            # restores it again, which is what an orchestrator that crashed right now would want.
            level = logging.DEBUG if e.status == 404 else logging.WARNING
            logger.log(level, "Jarvis Context: resume point %d not cleared: %s", resume_point_id, e)

    def recover_from_crash(self) -> dict:
        """Runs the recovery analysis now (POST /recover) and returns the report."""
        return self._read("POST", "/recover", {})

    def get_checkpoints(self) -> List[dict]:
        """Checkpoints, newest first: {checkpoint_id, created_at, label, kind, parent_id, ...}."""
        return self._read("GET", "/checkpoints")["checkpoints"]

    def set_resume_point(self, checkpoint_id: int, state: Optional[Dict[str, Any]] = None) -> dict:
        """The next restore_context() resumes from that checkpoint, with `state` replacing its
        orchestrator state when given (a fork; the history is kept). Returns {resume_point_id,
        checkpoint_id (the fork), parent_id, edited, created_at}."""
        body: Dict[str, Any] = {"checkpoint_id": checkpoint_id}
        if state is not None:
            body["state"] = state
        return self._read("POST", "/resume-point", body)

    def get_resume_point(self) -> Optional[dict]:
        """The pending resume point with its context, or None."""
        try:
            return self._read("GET", "/resume-point")
        except JarvisContextError as e:
            if e.status == 404:
                return None
            raise

    def get_agent_state(self, agent_id: str) -> dict:
        for agent in self.get_agents():
            if agent.get("agent_id") == agent_id:
                return agent
        return {}

    def get_agents(self) -> List[dict]:
        return self._read("GET", "/agent-states")["agents"]

    def get_tasks(self, status: Optional[str] = None) -> List[dict]:
        return self._read("GET", "/task-progress" + _query(status=status))["tasks"]

    def get_decisions(self, limit: Optional[int] = None, since: Optional[str] = None,
                      agent_id: Optional[str] = None, task_id: Optional[str] = None) -> List[dict]:
        route = "/decisions" + _query(limit=limit, since=since, agent_id=agent_id, task_id=task_id)
        return self._read("GET", route)["decisions"]

    def get_messages(self, limit: Optional[int] = None, since: Optional[str] = None,
                     agent_id: Optional[str] = None) -> List[dict]:
        return self._read("GET", "/messages" + _query(limit=limit, since=since, agent_id=agent_id))["messages"]

    def checkpoint(self, label: Optional[str] = None) -> dict:
        return self._read("POST", "/checkpoint", {} if label is None else {"label": label})

    def request(self, method: str, route: str, body: Any = None) -> Any:
        """Any route of the API (route relative to /api/jarvis/context)."""
        return self._read(method, route, body)

    # ---- Spool ----

    def pending_spooled(self) -> int:
        """Events waiting in the spool (all processes), taken-but-unsent files included."""
        return self._spool.pending()

    def flush_spool(self) -> int:
        """Sends spooled events now. Returns how many were sent; raises JarvisContextUnavailable
        if the server is still unreachable (the spool is kept)."""
        with self._lock:
            return self._flush_spool_locked()

    def close(self) -> None:
        """Closes the connection and stops the background drain; what is still spooled stays on
        disk for the next client or server start."""
        self._closing.set()
        self._http.close()

    def __enter__(self) -> "JarvisContextManager":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- Internals ----

    def _write(self, event: Dict[str, Any]) -> Optional[dict]:
        return self._write_batch([event])

    def _write_batch(self, events: List[Dict[str, Any]]) -> Optional[dict]:
        batch = [dict({"event_id": str(uuid.uuid4())}, **e) for e in events]
        # Validates JSON before anything is sent or spooled; one write() keeps the batch whole.
        line = b"".join(encode_line(e) for e in batch)
        with self._lock:
            try:
                # Spooled events go first, so the server sees writes in the order they were made.
                self._flush_spool_locked()
                answer = self._http.request("POST", "/events", {"events": batch})
                self._spooling = False
                return answer
            except JarvisContextError as e:
                if not self.spool_enabled or not _spoolable(e):
                    raise
                self._spool.append(line)
                logger.debug("spooled %d events: %s", len(batch), e.message)
                if not self._spooling:  # once per outage, not once per event
                    self._spooling = True
                    logger.warning("Jarvis Context unavailable (%s); spooling events to %s", e.message, self.spool_path)
                self._ensure_drainer()
                return None

    def _ensure_drainer(self) -> None:
        """Sends the spool in the background as soon as the server answers again, so the backlog
        does not wait for the orchestrator's next call (a daemon thread: it never holds up exit)."""
        with self._lock:
            if self._closing.is_set() or self._drainer is not None:
                return
            self._drainer = threading.Thread(target=self._drain_loop, name="jarvis-context-spool", daemon=True)
            self._drainer.start()

    def _drain_loop(self) -> None:
        delay = _DRAIN_FIRST_S
        while not self._closing.wait(delay):
            try:
                with self._lock:
                    sent = self._flush_spool_locked()
                    self._spooling = False
                    # Cleared under the lock: a write that spools after this starts a new drainer.
                    self._drainer = None
                if sent:
                    logger.info("Jarvis Context: the server is back; %d spooled events sent", sent)
                return
            except JarvisContextError as e:
                logger.debug("spool not sent yet: %s", e)
                delay = min(delay * 2, _DRAIN_MAX_S)
            except Exception as e:  # the folder failing, or anything else: keep the files, retry
                logger.warning("Jarvis Context: could not send the spool: %s", e)
                delay = _DRAIN_MAX_S
        with self._lock:
            self._drainer = None

    def _known_state(self) -> Optional[Dict[str, Any]]:
        if self._state is None:
            try:
                self._read_view()
            except JarvisContextError as e:
                logger.debug("context state unknown: %s", e)
        return self._state

    def _read_view(self) -> dict:
        view = self._read("GET", "/context")
        self._last_view = view
        if self._state is None:
            self._state = dict(view.get("state") or {})
        return view

    def _read(self, method: str, route: str, body: Any = None) -> Any:
        with self._lock:
            try:
                self._flush_spool_locked()
            except JarvisContextError as e:
                if not _spoolable(e):
                    raise
            return self._http.request(method, route, body)

    def _flush_spool_locked(self) -> int:
        if not self._spool.has_pending():
            return 0
        self._discovery.resolve()  # no server advertised: fail before touching the spool
        return self._spool.flush(lambda batch: self._http.request("POST", "/events", {"events": batch}, spooled=True))


# ---- helpers ----

def _idle_task() -> Dict[str, Any]:
    return {"id": None, "description": None, "status": "idle", "assigned_agents": []}


def _seed_view(view: Mapping[str, Any]) -> Mapping[str, Any]:
    """GET /context in the seed's active_context shape, read-only at the top."""
    state = dict(view.get("state") or {})
    agents = {}
    for a in view.get("agents") or []:
        a = dict(a)
        a.setdefault("last_update", a.get("last_seen"))
        agents[a.get("agent_id")] = a
    seed = dict(state)
    seed.update({
        "current_task": state.get("current_task") or _idle_task(),
        "task_progress": {t.get("task_id"): dict(t, last_update=t.get("updated_at")) for t in view.get("tasks") or []},
        "agent_states": agents,
        "conversation_history": list(state.get("conversation_history") or []),
        "decision_log": [dict(d, type=d.get("decision_type"), timestamp=d.get("ts"))
                         for d in reversed(view.get("recent_decisions") or [])],
        "error_recovery": state.get("error_recovery") or {},
        "workflow_state": state.get("workflow_state") or {"current_workflow_id": None, "phase": None, "completed_phases": []},
    })
    return types.MappingProxyType(seed)


def _spoolable(e: JarvisContextError) -> bool:
    # Unreachable, or the store cannot write right now (503): keep the event for later.
    return isinstance(e, JarvisContextUnavailable) or e.status == 503


def _query(**params: Any) -> str:
    q = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return "?" + q if q else ""
