"""Checks every report before it leaves the process, and builds its event (POST /events entry)."""

import datetime
import json
from typing import Any, Dict, Optional, Tuple

from ._errors import JarvisContextValidationError

TASK_STATUSES = ("pending", "in_progress", "blocked", "completed", "failed", "cancelled")

_TASK_FIELDS = ("description", "status", "percentage", "completed_subtasks", "blockers", "agent_id", "metadata")
_AGENT_FIELDS = ("status", "current_task", "capabilities", "metadata")
_DECISION_FIELDS = ("decision_type", "context", "decision", "reasoning", "outcome", "agent_id", "task_id")


def task_event(task_id: Any, progress: Optional[Dict[str, Any]], fields: Dict[str, Any]) -> Dict[str, Any]:
    require_str("task_id", task_id)
    update = merge_args("progress", progress, fields)
    event: Dict[str, Any] = {"type": "task", "task_id": task_id}
    event.update(_split_known(update, _TASK_FIELDS, {"assigned_agent": "agent_id", "last_update": None}))
    _check_task(event)
    return event


def decision_event(fields: Dict[str, Any]) -> Dict[str, Any]:
    event: Dict[str, Any] = {"type": "decision"}
    for key in ("decision_type", "decision", "reasoning"):
        require_str(key, fields.get(key), allow_empty=(key == "reasoning"))
        event[key] = fields[key]
    event["context"] = fields.get("context")
    for key in ("outcome", "agent_id", "task_id"):
        if fields.get(key) is not None:
            event[key] = fields[key]
    for key in ("agent_id", "task_id"):
        if key in event:
            require_str(key, event[key])
    unknown = set(fields) - set(_DECISION_FIELDS)
    if unknown:
        raise JarvisContextValidationError(sorted(unknown)[0], "unknown decision field")
    return event


def agent_event(agent_id: Any, state: Optional[Dict[str, Any]], fields: Dict[str, Any]) -> Dict[str, Any]:
    require_str("agent_id", agent_id)
    update = merge_args("state", state, fields)
    event: Dict[str, Any] = {"type": "agent", "agent_id": agent_id}
    event.update(_split_known(update, _AGENT_FIELDS, {"task": "current_task", "last_update": None}))
    event.setdefault("status", "active")
    require_str("status", event["status"])
    if event.get("current_task") is not None:
        require_str("current_task", event["current_task"])
    if "capabilities" in event:
        _require_str_list("capabilities", event["capabilities"])
    return event


def message_event(from_agent: Any, to_agent: Any, message_type: Any, content: Any, response: Any) -> Dict[str, Any]:
    for key, value in (("from_agent", from_agent), ("to_agent", to_agent), ("message_type", message_type)):
        require_str(key, value)
    if response is not None:
        content = {"content": content, "response": response}
    return {"type": "message", "from_agent": from_agent, "to_agent": to_agent,
            "message_type": message_type, "content": content}


def merge_args(name: str, given: Optional[Dict[str, Any]], fields: Dict[str, Any]) -> Dict[str, Any]:
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
        require_str("agent_id", event["agent_id"])
    if "metadata" in event and not isinstance(event["metadata"], dict):
        raise JarvisContextValidationError("metadata", "expected a dict")


def require_str(field: str, value: Any, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not allow_empty and not value):
        raise JarvisContextValidationError(field, "must be a non-empty string, got %r" % (value,))


def _require_str_list(field: str, value: Any) -> None:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise JarvisContextValidationError(field, "must be a list of strings, got %r" % (value,))


def json_default(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError("%s is not JSON serialisable" % type(value).__name__)


def encode_line(obj: Any) -> bytes:
    """One spool line; also checks the event is JSON before anything is sent or spooled."""
    try:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=json_default)
    except (TypeError, ValueError) as e:
        raise JarvisContextValidationError(str(obj.get("type", "event")) if isinstance(obj, dict) else "event",
                                           "not JSON: %s" % e)
    # Round-trip so what is sent equals what would be spooled (datetimes as strings, tuples as lists).
    if isinstance(obj, dict):
        obj.clear()
        obj.update(json.loads(text))
    return (text + "\n").encode("utf-8")
