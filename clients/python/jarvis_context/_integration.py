"""The seed's two ways to give an orchestrator a memory without changing its code:

    jarvis = JarvisOrchestratorWithContext(orchestrator)        # wrap an instance
    jarvis = AsyncJarvisOrchestratorWithContext(orchestrator)   # its async methods
    @integrate_context_manager                                  # or decorate the class
    class MyOrchestrator: ...

assign_task, receive_message, make_decision and handle_error are recorded before and after they
run; they return what they returned and raise what they raised. Recording never raises into the
orchestrator: a server that is down means the records are spooled (see _manager.py and _spool.py).
"""

import asyncio
import datetime
import functools
import inspect
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._http import in_thread
from ._manager import HISTORY_SIZE, JarvisContextManager

logger = logging.getLogger("jarvis_context")

HOOKED_METHODS = ("assign_task", "receive_message", "make_decision", "handle_error")
_WRAPPED = "__jarvis_context_wrapped__"
_DONE = ("completed", "failed", "cancelled")
_Patch = Optional[Callable[[Dict[str, Any]], Dict[str, Any]]]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else str(value)[:limit]


def _str(value: Any) -> Optional[str]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _first(args: Tuple[Any, ...], kwargs: Dict[str, Any], *names: str) -> Any:
    if args:
        return args[0]
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return None


class _Call:
    """What one hooked call records: before it runs, after it returns, or when it raises."""

    def __init__(self, before: List[dict], before_patch: _Patch = None):
        self.before = before
        self.before_patch = before_patch

    def after(self, result: Any) -> Tuple[List[dict], _Patch, Optional[str]]:
        return [], None, None

    def failed(self, error: BaseException) -> Tuple[List[dict], _Patch]:
        return [], None


def _calls(name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any], orchestrator_id: str) -> _Call:
    if name == "assign_task":
        return _assign_task(_first(args, kwargs, "task", "task_data"))
    if name == "receive_message":
        return _receive_message(_first(args, kwargs, "message"), orchestrator_id)
    if name == "make_decision":
        return _make_decision(args, kwargs)
    return _handle_error(_first(args, kwargs, "error", "exception"))


def _assign_task(task: Any) -> _Call:
    data = task if isinstance(task, dict) else {}
    task_id = _str(task) if not isinstance(task, dict) else _str(data.get("id", data.get("task_id")))
    description = data.get("description")
    current = {"id": task_id, "description": description, "status": "assigning", "assigned_agents": [], "since": _now()}

    def task_event(**fields: Any) -> List[dict]:
        return [dict({"type": "task", "task_id": task_id}, **fields)] if task_id else []

    class Call(_Call):
        def after(self, result: Any) -> Tuple[List[dict], _Patch, Optional[str]]:
            agents = result.get("assigned_to", result.get("agent_id")) if isinstance(result, dict) else result
            agents = [a for a in (agents if isinstance(agents, (list, tuple)) else [agents]) if _str(a)]
            events = task_event(status="in_progress", **({"agent_id": str(agents[0])} if agents else {}))
            events += [{"type": "agent", "agent_id": str(a), "status": "busy", "current_task": task_id} for a in agents]
            done = dict(current, status="assigned", assigned_agents=[str(a) for a in agents], since=_now())
            return events, lambda state: {"current_task": done}, None

        def failed(self, error: BaseException) -> Tuple[List[dict], _Patch]:
            events = task_event(status="failed", blockers=[_text(error, 1000)])
            return events, lambda state: {"current_task": dict(current, status="failed", since=_now())}

    fields = {"status": "pending"}
    if isinstance(description, str):
        fields["description"] = description
    return Call(task_event(**fields), lambda state: {"current_task": current})


def _receive_message(message: Any, orchestrator_id: str) -> _Call:
    m = message if isinstance(message, dict) else {"content": message}
    sender = _str(m.get("from_agent", m.get("from"))) or "unknown"
    message_type = _str(m.get("type", m.get("message_type"))) or "message"
    content = m.get("content", m if isinstance(message, dict) else message)
    entry = {"timestamp": _now(), "from": sender, "type": message_type, "content": _text(content, 500)}

    def add_entry(state: Dict[str, Any]) -> Dict[str, Any]:
        history = list(state.get("conversation_history") or []) + [entry]
        return {"conversation_history": history[-HISTORY_SIZE:]}

    def heartbeat() -> List[dict]:
        if sender == "unknown":
            return []
        agent: Dict[str, Any] = {"type": "agent", "agent_id": sender, "status": _str(m.get("status")) or "active"}
        if _str(m.get("task_id")):
            agent["current_task"] = _str(m.get("task_id"))
        if isinstance(m.get("capabilities"), list):
            agent["capabilities"] = [str(c) for c in m["capabilities"]]
        return [agent]

    class Call(_Call):
        def after(self, result: Any) -> Tuple[List[dict], _Patch, Optional[str]]:
            return heartbeat(), None, None

        def failed(self, error: BaseException) -> Tuple[List[dict], _Patch]:
            return heartbeat(), None

    to = _str(m.get("to_agent", m.get("response_to", m.get("to")))) or orchestrator_id
    event = {"type": "message", "from_agent": sender, "to_agent": to, "message_type": message_type,
             "content": _jsonable(content)}
    return Call([event], add_entry)


def _make_decision(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _Call:
    given = dict(kwargs)
    if args and isinstance(args[0], dict) and len(args) == 1 and not kwargs:
        given = dict(args[0])
    else:
        for key, value in zip(("decision_type", "context"), args):
            given.setdefault(key, value)
    decision_type = _str(given.get("decision_type", given.get("type")))
    context = _jsonable(given.get("context", given))
    pending: Dict[str, Any] = {"decision_type": decision_type, "context": context, "since": _now()}

    def phase(value: Optional[str]) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
        def patch(state: Dict[str, Any]) -> Dict[str, Any]:
            workflow: Dict[str, Any] = dict(state.get("workflow_state") or {"current_workflow_id": None, "completed_phases": []})
            workflow["phase"] = value
            return {"workflow_state": workflow, "pending_decision": pending if value else None}
        return patch

    class Call(_Call):
        def after(self, result: Any) -> Tuple[List[dict], _Patch, Optional[str]]:
            r = result if isinstance(result, dict) else {}
            event = {
                "type": "decision",
                "decision_type": decision_type or _str(r.get("decision_type")) or "general",
                "context": context,
                "decision": _str(r.get("decision")) or _text(result, 1000) or "(none)",
                "reasoning": _text(r.get("reasoning", ""), 4000),
                "outcome": _jsonable(r.get("outcome", "pending")),
            }
            for key in ("agent_id", "task_id"):
                if _str(r.get(key, given.get(key))):
                    event[key] = _str(r.get(key, given.get(key)))
            return [event], phase(None), None

        def failed(self, error: BaseException) -> Tuple[List[dict], _Patch]:
            return [], phase(None)

    return Call([], phase("decision_making"))


def _handle_error(error: Any) -> _Call:
    recovery = {"error_type": type(error).__name__, "error_message": _text(error, 1000),
                "timestamp": _now(), "recovery_attempts": 0, "recovered": False}

    class Call(_Call):
        def after(self, result: Any) -> Tuple[List[dict], _Patch, Optional[str]]:
            recovered = isinstance(result, dict) and result.get("recovered") is True
            done = dict(recovery, recovered=recovered, handled_at=_now())
            return [], lambda state: {"error_recovery": done}, "Error recovered" if recovered else None

        def failed(self, error: BaseException) -> Tuple[List[dict], _Patch]:
            return [], lambda state: {"error_recovery": dict(recovery, recovery_attempts=1)}

    return Call([], lambda state: {"error_recovery": recovery})


def _jsonable(value: Any) -> Any:
    """What the orchestrator passed, as JSON the server takes; other values become a string."""
    try:
        text = json.dumps(value, allow_nan=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
    except (TypeError, ValueError):
        return _text(value, 4000)
    return json.loads(text) if len(text) <= 16000 else text[:16000]


def _failure(name: str, error: BaseException) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    last = {"method": name, "error_type": type(error).__name__, "error_message": _text(error, 1000), "at": _now()}
    return lambda state: {"last_error": last}


def _chain(a: _Patch, b: _Patch) -> _Patch:
    if a is None or b is None:
        return a or b
    return lambda state: dict(a(state), **b(dict(state, **a(state))))


class JarvisOrchestratorWithContext:
    """Wraps an orchestrator instance: its assign_task, receive_message, make_decision and
    handle_error are recorded (patched on the instance, as the seed does, so direct calls are
    recorded too); every other attribute is the orchestrator's. On start the context is restored
    and, when the orchestrator has them, resume_task(current_task) is called for an unfinished
    task and ping_agent(agent_id) for each stale agent."""

    def __init__(self, orchestrator_instance: Any, context_path: Optional[str] = None, *,
                 context_manager: Optional[JarvisContextManager] = None, orchestrator_id: str = "orchestrator",
                 **manager_options: Any):
        self.orchestrator = orchestrator_instance
        self.orchestrator_id = orchestrator_id
        self._hooked: Dict[str, Callable[..., Any]] = {}
        self._pending_resume: List[Any] = []  # resume_task/ping_agent coroutines, awaited on first use
        self.context_manager = context_manager or JarvisContextManager(context_path, start=False, **manager_options)
        self._started = False
        self._setup_hooks()
        self._begin()

    def _begin(self) -> None:
        self._start()

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            self.context_manager.start()
            view = self.context_manager.restore_context()
        except Exception as e:  # never break the orchestrator's start
            logger.warning("Jarvis Context: could not restore the context: %s", e)
            return
        if view is None:
            return
        for name, arg in _resume_calls(view):
            method = getattr(self.orchestrator, name, None)
            if callable(method):
                logger.info("Jarvis Context: %s(%r) after restart", name, arg if isinstance(arg, str) else arg.get("id"))
                result = method(arg)
                if inspect.isawaitable(result):
                    self._pending_resume.append(result)

    def _setup_hooks(self) -> None:
        for name in HOOKED_METHODS:
            original = getattr(self.orchestrator, name, None)
            if not callable(original) or getattr(original, _WRAPPED, False):
                continue
            wrapped = self._wrap(name, original)
            setattr(wrapped, _WRAPPED, True)
            self._hooked[name] = wrapped
            try:
                setattr(self.orchestrator, name, wrapped)
            except (AttributeError, TypeError):
                pass  # __slots__ or a read-only attribute: reachable through the wrapper only

    def _wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(original):
            return self._wrap_async(name, original)

        @functools.wraps(original)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            call = self._prepare(name, args, kwargs)
            if call is not None:
                self._send(call.before, call.before_patch)
            try:
                result = original(*args, **kwargs)
            except BaseException as e:
                if call is not None:
                    self._send_failed(name, call, e)
                raise
            if call is not None:
                self._send_after(call, result)
            return result
        return wrapped

    def _wrap_async(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        # HTTP runs in a worker thread: the event loop never waits on the server.
        @functools.wraps(original)
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            await self._astart()
            call = self._prepare(name, args, kwargs)
            if call is not None:
                await in_thread(self.context_manager._http, None, self._send, call.before, call.before_patch)
            try:
                result = await original(*args, **kwargs)
            except BaseException as e:
                if call is not None:
                    await in_thread(self.context_manager._http, None, self._send_failed, name, call, e)
                raise
            if call is not None:
                await in_thread(self.context_manager._http, None, self._send_after, call, result)
            return result
        return wrapped

    async def _astart(self) -> None:
        if not self._started:
            await asyncio.to_thread(self._start)
        while self._pending_resume:
            await self._pending_resume.pop(0)

    def _prepare(self, name: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Optional[_Call]:
        try:
            return _calls(name, args, kwargs, self.orchestrator_id)
        except Exception as e:  # an argument shape we do not understand: run unrecorded
            logger.warning("Jarvis Context: %s not recorded: %s", name, e)
            return None

    def _send(self, events: List[dict], patch: _Patch) -> None:
        try:
            self.context_manager.record(events, patch)
        except Exception as e:  # recording must never break the orchestrator
            logger.warning("Jarvis Context: could not record: %s", e)

    def _send_after(self, call: _Call, result: Any) -> None:
        try:
            events, patch, recovery_point = call.after(result)
        except Exception as e:
            logger.warning("Jarvis Context: result not recorded: %s", e)
            return
        self._send(events, patch)
        if recovery_point:
            try:
                self.context_manager.mark_recovery_point(recovery_point)
            except Exception as e:
                logger.warning("Jarvis Context: recovery point not taken: %s", e)

    def _send_failed(self, name: str, call: _Call, error: BaseException) -> None:
        try:
            events, patch = call.failed(error)
        except Exception:
            events, patch = [], None
        self._send(events, _chain(patch, _failure(name, error)))

    # ---- the seed's own methods ----

    def get_context_status(self) -> Dict[str, Any]:
        return self.context_manager.get_context_status()

    def manual_checkpoint(self, reason: str) -> Optional[dict]:
        return self.context_manager.mark_recovery_point(reason)

    def restore_context(self) -> Optional[dict]:
        return self.context_manager.restore_context()

    def close(self) -> None:
        self.context_manager.close()

    def __getattr__(self, name: str) -> Any:
        # Only for what the wrapper does not define: everything else is the orchestrator's.
        hooked = self.__dict__.get("_hooked")
        if hooked and name in hooked:
            return hooked[name]
        if name.startswith("__") or "orchestrator" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.orchestrator, name)


class AsyncJarvisOrchestratorWithContext(JarvisOrchestratorWithContext):
    """For orchestrators whose hooked methods are coroutines. Nothing talks to the server until
    the first hooked call (or `await jarvis.start()`), and then only from a worker thread; the
    seed's get_context_status / manual_checkpoint / restore_context are coroutines here."""

    def _begin(self) -> None:
        pass  # started on first use, off the event loop

    async def start(self) -> None:
        await self._astart()

    async def get_context_status(self) -> Dict[str, Any]:  # type: ignore[override]
        await self._astart()
        return await asyncio.to_thread(self.context_manager.get_context_status)

    async def manual_checkpoint(self, reason: str) -> Optional[dict]:  # type: ignore[override]
        return await asyncio.to_thread(self.context_manager.mark_recovery_point, reason)

    async def restore_context(self) -> Optional[dict]:  # type: ignore[override]
        return await asyncio.to_thread(self.context_manager.restore_context)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.context_manager.close)


def _resume_calls(view: Dict[str, Any]) -> List[Tuple[str, Any]]:
    """What the seed does after a restore: resume the unfinished current task, ping stale agents."""
    calls: List[Tuple[str, Any]] = []
    current = (view.get("state") or {}).get("current_task")
    tasks = {t.get("task_id"): t for t in view.get("tasks") or []}
    if isinstance(current, dict) and current.get("id") and current.get("status") not in _DONE:
        if (tasks.get(current["id"]) or {}).get("status") not in _DONE:
            calls.append(("resume_task", current))
    for agent in view.get("agents") or []:
        if agent.get("stale"):
            calls.append(("ping_agent", agent.get("agent_id")))
    return calls


def integrate_context_manager(orchestrator_class: Any = None, **options: Any) -> Any:
    """Class decorator: each instance records its hooked methods, as with the wrapper, and gets
    get_context_status(), manual_checkpoint(reason) and context_manager.
    @integrate_context_manager, or @integrate_context_manager(context_path=..., url=..., ...)."""
    if orchestrator_class is None:
        return lambda cls: integrate_context_manager(cls, **options)
    wrapper_class = AsyncJarvisOrchestratorWithContext if options.pop("asynchronous", False) else JarvisOrchestratorWithContext

    class ContextAwareOrchestrator(orchestrator_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._context_wrapper = wrapper_class(self, **options)

        @property
        def context_manager(self) -> JarvisContextManager:
            return self._context_wrapper.context_manager

        def get_context_status(self) -> Any:
            return self._context_wrapper.get_context_status()

        def manual_checkpoint(self, reason: str) -> Any:
            return self._context_wrapper.manual_checkpoint(reason)

    for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
        setattr(ContextAwareOrchestrator, attr, getattr(orchestrator_class, attr))
    return ContextAwareOrchestrator
