"""JarvisContextManager: reports to the Jarvis Context server, spools while it is down.

The extension (or `jarvis-context serve`) owns the storage; this module reports to it over the
REST API (shared/API.md). When the server cannot be reached, writes go to `spool.jsonl` in the
storage folder and are sent on the next successful connection (see README.md, "Spool format").
"""

import datetime
import errno
import pathlib
import types
import http.client
import json
import logging
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

try:  # POSIX: serialise appends between processes.
    import fcntl
except ImportError:  # Windows: best effort, single write() calls.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("jarvis_context")

API_PREFIX = "/api/jarvis/context"
DEFAULT_CONTEXT_PATH = "./memory/context/jarvis"
SPOOL_FILE = "spool.jsonl"
REJECTED_FILE = "spool.rejected.jsonl"
# The seed's crash marker, for the orchestrator's side (the server keeps its own CRASH_DETECTED).
CRASH_MARKER_FILE = "ORCHESTRATOR_CRASH_DETECTED"
# A spool taken by a client for sending: spool.sending.<pid>.jsonl.
SENDING_PREFIX = "spool.sending."
_SENDING_RE = re.compile(r"^spool\.sending\.(\d+)\.jsonl$")
_FLUSH_LOCK = threading.RLock()  # managers of one process share the spool files
HISTORY_SIZE = 100
TASK_STATUSES = ("pending", "in_progress", "blocked", "completed", "failed", "cancelled")

_TASK_FIELDS = ("description", "status", "percentage", "completed_subtasks", "blockers", "agent_id", "metadata")
_AGENT_FIELDS = ("status", "current_task", "capabilities", "metadata")
# Body limit is 1 MiB; stay well under it.
_BATCH_MAX_EVENTS = 500
_BATCH_MAX_BYTES = 512 * 1024
# Background drain: first retry soon after the outage starts, then at most every 2 s.
_DRAIN_FIRST_S = 0.25
_DRAIN_MAX_S = 2.0


class JarvisContextError(Exception):
    """An error answer of the API ({"error": {"code", "message"}}) or a client-side failure.

    status is the HTTP status, 0 when no answer came back; code is the API's error code or one of
    "unreachable", "timeout", "no_endpoint", "bad_response", "bad_request" (local validation).
    """

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None):
        super().__init__("%s (%s)" % (message, status or code))
        self.status = status
        self.code = code
        self.message = message
        self.field = field  # the bad field, when the API named one


class JarvisContextUnavailable(JarvisContextError):
    """The server could not be reached; nothing was acknowledged."""


class JarvisContextValidationError(JarvisContextError, ValueError):
    """Bad input, refused before anything was sent or spooled. `field` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(400, "bad_request", "%s: %s" % (field, message), field)


class JarvisContextManager:
    """Reports an orchestrator's tasks, agents, decisions, messages and state to Jarvis Context.

    base_path is the storage folder shared with the server (holding endpoint.json, and the spool);
    default JARVIS_CONTEXT_PATH or ./memory/context/jarvis. url/token default to
    JARVIS_CONTEXT_URL/JARVIS_CONTEXT_TOKEN, else endpoint.json. With spool=False an unreachable
    server raises JarvisContextUnavailable instead of spooling.

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
        spool: bool = True,
        start: bool = True,
    ):
        self.base_path = os.path.abspath(base_path or os.environ.get("JARVIS_CONTEXT_PATH") or DEFAULT_CONTEXT_PATH)
        self.spool_path = os.path.join(self.base_path, SPOOL_FILE)
        self.rejected_path = os.path.join(self.base_path, REJECTED_FILE)
        self.crash_marker = pathlib.Path(self.base_path, CRASH_MARKER_FILE)
        self.timeout = timeout
        self.spool_enabled = spool
        # A URL from the environment (a VS Code terminal's) may go stale when the server moves:
        # then the folder's endpoint.json says where it is now.
        self._fixed_from_env = not url and bool(os.environ.get("JARVIS_CONTEXT_URL"))
        url = url or os.environ.get("JARVIS_CONTEXT_URL")
        self._fixed = (url, token if token is not None else os.environ.get("JARVIS_CONTEXT_TOKEN", "")) if url else None
        self._endpoint: Optional[Tuple[str, str]] = None
        self._endpoint_mtime: Optional[Tuple[int, int]] = None
        # endpoint.json as last read for an env URL: (inode, mtime), its url and pid.
        self._env_check: Tuple[Optional[Tuple[int, int]], str, Any] = (None, "", None)
        self._conn: Optional[http.client.HTTPConnection] = None
        self._conn_key: Optional[Tuple[str, int]] = None
        self._conn_used = False
        self._lock = threading.RLock()
        self._spooling = False
        self._drainer: Optional[threading.Thread] = None
        self._closing = threading.Event()
        program = re.sub(r"[^\x21-\x7e]", "_", os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "python"))[:60]
        self._program = program or "python"
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
        os.makedirs(self.base_path, exist_ok=True)
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
        _require_str("task_id", task_id)
        update = _merge_args("progress", progress, fields)
        event: Dict[str, Any] = {"type": "task", "task_id": task_id}
        event.update(_split_known(update, _TASK_FIELDS, {"assigned_agent": "agent_id", "last_update": None}))
        _check_task(event)
        return self._write(event)

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
        event: Dict[str, Any] = {"type": "decision"}
        for key in ("decision_type", "decision", "reasoning"):
            _require_str(key, fields.get(key), allow_empty=(key == "reasoning"))
            event[key] = fields[key]
        event["context"] = fields.get("context")
        for key in ("outcome", "agent_id", "task_id"):
            if fields.get(key) is not None:
                event[key] = fields[key]
        for key in ("agent_id", "task_id"):
            if key in event:
                _require_str(key, event[key])
        unknown = set(fields) - {"decision_type", "context", "decision", "reasoning", "outcome", "agent_id", "task_id"}
        if unknown:
            raise JarvisContextValidationError(sorted(unknown)[0], "unknown decision field")
        return self._write(event)

    def update_agent_state(self, agent_id: str, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        """Agent status, current_task, capabilities, metadata (other keys go into metadata); also a
        heartbeat. status defaults to "active"."""
        _require_str("agent_id", agent_id)
        update = _merge_args("state", state, fields)
        event: Dict[str, Any] = {"type": "agent", "agent_id": agent_id}
        event.update(_split_known(update, _AGENT_FIELDS, {"task": "current_task", "last_update": None}))
        event.setdefault("status", "active")
        _require_str("status", event["status"])
        if event.get("current_task") is not None:
            _require_str("current_task", event["current_task"])
        if "capabilities" in event:
            _require_str_list("capabilities", event["capabilities"])
        return self._write(event)

    def log_agent_message(self, from_agent: str, to_agent: str, message_type: str, content: Any, response: Any = None) -> Optional[dict]:
        """Logs an inter-agent message. A seed-style `response` is kept beside the content."""
        for key, value in (("from_agent", from_agent), ("to_agent", to_agent), ("message_type", message_type)):
            _require_str(key, value)
        if response is not None:
            content = {"content": content, "response": response}
        return self._write({"type": "message", "from_agent": from_agent, "to_agent": to_agent,
                            "message_type": message_type, "content": content})

    def update_context(self, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        """Replaces the orchestrator's own state: what restore_context() gives back after a crash."""
        merged = _merge_args("state", state, fields)
        with self._lock:
            answer = self._write({"type": "context", "context": merged})
            self._state = json.loads(json.dumps(merged, default=_json_default))
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
                self._state = json.loads(json.dumps(self._state, default=_json_default))
            return answer is not None

    def mark_recovery_point(self, label: str) -> Optional[dict]:
        """A recovery point (checkpoint with a binary copy). Not spoolable: returns None, with a
        warning, when the server is unreachable."""
        _require_str("label", label)
        with self._lock:
            try:
                self._flush_spool_locked()
                return self._request("POST", "/recovery-points", {"label": label})
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
            self._request("DELETE", "/resume-point?resume_point_id=%d" % resume_point_id)
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
        for _ in range(5):
            # A spool taken (renamed) or sent (deleted) while counting shows as a change in the
            # listing: count again, so a file is never counted twice or missed.
            before = self._sending_files()
            count = 0
            for path in [self.spool_path] + before:
                try:
                    with open(path, "rb") as f:
                        count += sum(1 for line in f if line.strip())
                except FileNotFoundError:
                    pass
            if self._sending_files() == before:
                break
        return count

    def _sending_files(self) -> List[str]:
        try:
            return sorted(os.path.join(self.base_path, n) for n in os.listdir(self.base_path) if _SENDING_RE.match(n))
        except FileNotFoundError:
            return []

    def flush_spool(self) -> int:
        """Sends spooled events now. Returns how many were sent; raises JarvisContextUnavailable
        if the server is still unreachable (the spool is kept)."""
        with self._lock:
            return self._flush_spool_locked()

    def close(self) -> None:
        """Closes the connection and stops the background drain; what is still spooled stays on
        disk for the next client or server start."""
        self._closing.set()
        self._close_connection()

    def _close_connection(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

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
        line = b"".join(_encode_line(e) for e in batch)
        with self._lock:
            try:
                # Spooled events go first, so the server sees writes in the order they were made.
                self._flush_spool_locked()
                answer = self._request("POST", "/events", {"events": batch})
                self._spooling = False
                return answer
            except JarvisContextError as e:
                if not self.spool_enabled or not _spoolable(e):
                    raise
                self._spool_append(line)
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
            return self._request(method, route, body)

    def _spool_append(self, line: bytes) -> None:
        os.makedirs(self.base_path, exist_ok=True)
        while True:
            created = not os.path.exists(self.spool_path)
            fd = os.open(self.spool_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _lock_fd(fd)
                # A process killed mid-append left a torn line: end it, so ours parses.
                size = os.fstat(fd).st_size
                if size and hasattr(os, "pread") and os.pread(fd, 1, size - 1) != b"\n":
                    _write_all(fd, b"\n")
                _write_all(fd, line)
                os.fsync(fd)
                mine = os.fstat(fd)
                try:
                    now = os.stat(self.spool_path)
                    same = (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev)
                except FileNotFoundError:
                    same = False
            finally:
                _unlock_fd(fd)
                os.close(fd)
            if same:
                break
            # The server took the file away (rename, then read) while we wrote: it may have missed
            # our line, so write it again; the event_id makes a second copy harmless.
        if created:
            _fsync_dir(self.base_path)

    def _flush_spool_locked(self) -> int:
        # Files left by a flush that failed (ours) or whose process died go first: they are older.
        leftovers = self._sending_leftovers()
        if not leftovers and not _nonempty(self.spool_path):
            return 0
        self._resolve()  # no server advertised: fail before touching the spool
        with _FLUSH_LOCK:
            sent = 0
            for path in leftovers:
                sent += self._send_file(path)
            # Take the spool away by rename, so appenders (of any process or language) never
            # write into a file being sent: they see the rename and write their line again.
            mine = os.path.join(self.base_path, "%s%d.jsonl" % (SENDING_PREFIX, os.getpid()))
            try:
                os.rename(self.spool_path, mine)
            except FileNotFoundError:
                pass  # another client took it
            else:
                _fsync_dir(self.base_path)
                sent += self._send_file(mine)
            if sent:
                logger.info("Jarvis Context: sent %d spooled events", sent)
            return sent

    def _sending_leftovers(self) -> List[str]:
        found = []
        try:
            names = os.listdir(self.base_path)
        except FileNotFoundError:
            return []
        for name in names:
            m = _SENDING_RE.match(name)
            if m and (int(m.group(1)) == os.getpid() or not _pid_alive(int(m.group(1)))):
                path = os.path.join(self.base_path, name)
                try:
                    found.append((os.stat(path).st_mtime_ns, path))
                except FileNotFoundError:
                    pass
        return [path for _, path in sorted(found)]

    def _send_file(self, path: str) -> int:
        """Sends one taken spool file, in batches, and deletes it once every batch got a 2xx."""
        try:
            with open(path, "rb") as f:
                events = list(_parse_lines(f))
        except FileNotFoundError:
            return 0  # sent and removed by another manager of this process
        for batch in _batches(events):
            try:
                self._request("POST", "/events", {"events": batch}, spooled=True)
            except JarvisContextError as e:
                if e.status != 400:
                    raise  # unreachable or failing: the file stays for next time
                self._send_one_by_one(batch)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        _fsync_dir(self.base_path)
        return len(events)

    def _send_one_by_one(self, batch: List[dict]) -> None:
        # One bad event must not block the rest forever: keep it aside, with the reason.
        for event in batch:
            try:
                self._request("POST", "/events", {"events": [event]}, spooled=True)
            except JarvisContextError as e:
                if e.status != 400:
                    raise
                logger.error("Jarvis Context refused spooled event %s: %s; kept in %s", event.get("event_id"), e.message, self.rejected_path)
                with open(self.rejected_path, "ab") as f:
                    f.write(_encode_line({"event": event, "error": {"code": e.code, "field": e.field, "message": e.message}}))
                    f.flush()
                    os.fsync(f.fileno())

    def _resolve(self) -> Tuple[str, str]:
        if self._fixed and self._fixed_from_env:
            self._follow_moved_server()
        if self._fixed:
            return self._fixed
        return self._resolve_file()

    def _follow_moved_server(self) -> None:
        """A terminal's JARVIS_CONTEXT_URL goes stale when the server comes back on another port
        (its own was taken): the folder's endpoint.json, naming a live server elsewhere, wins.
        Checked before connecting: the old port may now belong to a program that never answers,
        and a server known dead (killed -9, its endpoint.json left) is not waited on."""
        path = os.path.join(self.base_path, "endpoint.json")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp != self._env_check[0]:
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
                self._env_check = (stamp, str(data["url"]), data.get("pid"))
            except (OSError, ValueError, KeyError, TypeError):
                return  # half-written by a server starting now: look again next time
        _, url, pid = self._env_check
        alive = not isinstance(pid, int) or _pid_alive(pid)  # a signal 0, each time: servers die
        if self._fixed is not None and url.rstrip("/") == self._fixed[0].rstrip("/"):
            if not alive:
                raise JarvisContextUnavailable(0, "unreachable", "the server (pid %s) in %s is not running" % (pid, path))
        elif alive:
            logger.warning("Jarvis Context: the server moved to %s (%s); following it", url, path)
            self._fixed = None

    def _resolve_file(self) -> Tuple[str, str]:
        path = os.path.join(self.base_path, "endpoint.json")
        try:
            st = os.stat(path)
            mtime = (st.st_ino, st.st_mtime_ns)  # the server replaces the file by rename: a new inode
        except FileNotFoundError:
            raise JarvisContextUnavailable(0, "no_endpoint", "no Jarvis Context server: set JARVIS_CONTEXT_URL and "
                                           "JARVIS_CONTEXT_TOKEN, or start `jarvis-context serve` for %s" % self.base_path)
        if self._endpoint is None or mtime != self._endpoint_mtime:
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
                self._endpoint = (str(data["url"]), str(data.get("token", "")))
                self._endpoint_mtime = mtime
                pid = data.get("pid")
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise JarvisContextUnavailable(0, "no_endpoint", "unreadable %s: %s" % (path, e))
            # A server killed -9 leaves its endpoint.json: do not wait on a dead port.
            if isinstance(pid, int) and not _pid_alive(pid):
                self._endpoint = None
                raise JarvisContextUnavailable(0, "unreachable", "the server (pid %d) in %s is not running" % (pid, path))
        return self._endpoint

    def _request(self, method: str, route: str, body: Any = None, spooled: bool = False) -> Any:
        url, token = self._resolve()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise JarvisContextError(0, "no_endpoint", "unsupported server URL %r" % url)
        base = parts.path.rstrip("/")
        if not base.endswith(API_PREFIX):
            base += API_PREFIX
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        # Who is writing (the server counts orchestrators that come back after a restart), and
        # whether these events come from the spool (counted as taken in).
        headers = {"Accept": "application/json", "Jarvis-Client": "python pid=%d %s" % (os.getpid(), self._program)}
        if spooled:
            headers["Jarvis-Spooled"] = "1"
        if token:
            headers["Authorization"] = "Bearer " + token
        if payload is not None:
            headers["Content-Type"] = "application/json"
        key = (parts.hostname, parts.port or 80)
        resp: Optional[http.client.HTTPResponse] = None
        data = b""
        for attempt in (0, 1):
            conn = self._connection(key)
            reused = self._conn_used
            try:
                conn.request(method, base + route, body=payload, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self._conn_used = True
                if resp.getheader("Connection", "").lower() == "close":
                    self._close_connection()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self._close_connection()
                # The server closed a kept-alive connection while idle: the request never arrived.
                # Sent again only when repeating it is harmless (see _retryable).
                if attempt == 0 and reused and _retryable(method, route):
                    # Unless the server died (killed, not idle): its port may already be another's.
                    if self._fixed and self._fixed_from_env:
                        self._follow_moved_server()
                        if self._resolve() != (url, token):
                            raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s; the server moved" % (method, route, e))
                    elif not self._fixed:
                        self._endpoint_mtime = None  # read endpoint.json again: a dead pid raises
                        if self._resolve() != (url, token):
                            raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s; the server moved" % (method, route, e))
                    continue
                raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s" % (method, route, e))
            except OSError as e:
                self._close_connection()
                code = "timeout" if isinstance(e, TimeoutError) or "timed out" in str(e) else "unreachable"
                raise JarvisContextUnavailable(0, code, "%s %s: %s" % (method, route, e))
            except http.client.HTTPException as e:
                self._close_connection()
                raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s" % (method, route, e))
        assert resp is not None  # the loop either broke with an answer or raised
        text = data.decode("utf-8", "replace")
        if resp.status >= 300:
            code, message, field = "bad_response", text[:200] or "HTTP %d" % resp.status, None
            try:
                err = json.loads(text)["error"]
                code, message, field = str(err.get("code", "error")), str(err["message"]), err.get("field")
            except (ValueError, KeyError, TypeError):
                pass
            raise JarvisContextError(resp.status, code, "%s %s: %s" % (method, route, message), field)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise JarvisContextError(resp.status, "bad_response", "%s %s: answer is not JSON" % (method, route))

    def _connection(self, key: Tuple[str, int]) -> http.client.HTTPConnection:
        if self._conn is None or self._conn_key != key:
            self._close_connection()
            self._conn = http.client.HTTPConnection(key[0], key[1], timeout=self.timeout)
            self._conn_key = key
            self._conn_used = False
        return self._conn


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


def _retryable(method: str, route: str) -> bool:
    # Reads and PUTs (which replace) may be repeated; POSTs only to /events (event ids dedupe).
    return method != "POST" or route == "/events"


def _spoolable(e: JarvisContextError) -> bool:
    # Unreachable, or the store cannot write right now (503): keep the event for later.
    return isinstance(e, JarvisContextUnavailable) or e.status == 503


def _merge_args(name: str, given: Optional[Dict[str, Any]], fields: Dict[str, Any]) -> Dict[str, Any]:
    if given is None:
        return dict(fields)
    if not isinstance(given, dict):
        raise JarvisContextValidationError(name, "expected a dict, got %s" % type(given).__name__)
    merged = dict(given)
    merged.update(fields)
    return merged


def _split_known(update: Dict[str, Any], known: Tuple[str, ...], aliases: Dict[str, Optional[str]]) -> Dict[str, Any]:
    """Known fields as they are; seed aliases renamed (None drops them); the rest into metadata."""
    out: Dict[str, Any] = {}
    extra: Dict[str, Any] = {}
    for key, value in update.items():
        if key in aliases:
            alias = aliases[key]
            if alias is not None and alias not in update:
                out[alias] = value
        elif key in known:
            out[key] = value
        else:
            extra[key] = value
    if extra:
        metadata = out.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise JarvisContextValidationError("metadata", "expected a dict")
        out["metadata"] = dict(metadata or {}, **extra)
    return out


def _check_task(event: Dict[str, Any]) -> None:
    if "status" in event and event["status"] not in TASK_STATUSES:
        raise JarvisContextValidationError("status", "must be one of %s, got %r" % (", ".join(TASK_STATUSES), event["status"]))
    if "percentage" in event:
        p = event["percentage"]
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 100:
            raise JarvisContextValidationError("percentage", "must be a number from 0 to 100, got %r" % (p,))
    for key in ("completed_subtasks", "blockers"):
        if key in event:
            _require_str_list(key, event[key])
    if "description" in event and not isinstance(event["description"], str):
        raise JarvisContextValidationError("description", "must be a string")
    if event.get("agent_id") is not None:
        _require_str("agent_id", event["agent_id"])
    if "metadata" in event and not isinstance(event["metadata"], dict):
        raise JarvisContextValidationError("metadata", "expected a dict")


def _require_str(field: str, value: Any, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not allow_empty and not value):
        raise JarvisContextValidationError(field, "must be a non-empty string, got %r" % (value,))


def _require_str_list(field: str, value: Any) -> None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise JarvisContextValidationError(field, "must be a list of strings, got %r" % (value,))


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError("%s is not JSON serialisable" % type(value).__name__)


def _encode_line(obj: Any) -> bytes:
    try:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as e:
        raise JarvisContextValidationError(str(obj.get("type", "event")) if isinstance(obj, dict) else "event",
                                           "not JSON: %s" % e)
    # Round-trip so what is sent equals what would be spooled (datetimes as strings, tuples as lists).
    if isinstance(obj, dict):
        obj.clear()
        obj.update(json.loads(text))
    return (text + "\n").encode("utf-8")


def _nonempty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except FileNotFoundError:
        return False


def _parse_spool(data: bytes) -> List[dict]:
    return list(_parse_lines(data.split(b"\n")))


def _parse_lines(lines: Iterable[bytes]) -> Iterator[dict]:
    for raw in lines:
        if not raw.strip():
            continue
        try:
            event = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            # A torn line from a process killed mid-append: that call never returned, skip it.
            logger.warning("Jarvis Context: skipping unreadable spool line (%d bytes)", len(raw))
            continue
        if isinstance(event, dict) and event.get("type"):
            yield event


def _batches(events: Iterable[dict]) -> Iterator[List[dict]]:
    current: List[dict] = []
    size = 0
    for event in events:
        n = len(json.dumps(event, separators=(",", ":")))
        if current and (len(current) >= _BATCH_MAX_EVENTS or size + n > _BATCH_MAX_BYTES):
            yield current
            current, size = [], 0
        current.append(event)
        size += n
    if current:
        yield current


def _query(**params: Any) -> str:
    q = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return "?" + q if q else ""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _lock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _fsync_dir(path: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True
