"""JarvisSaver: a LangGraph checkpointer backed by Jarvis Context (``pip install 'jarvis-context[langgraph]'``).

    from jarvis_context.langgraph import JarvisSaver
    graph = builder.compile(checkpointer=JarvisSaver())

Sync and async. Every put is durable on the server (journal, fdatasync) before it returns. Values
travel as LangGraph's serializer wrote them; a put carries only the channels that changed
(new_versions). While the server cannot be reached, writes go to langgraph.spool.<pid>.jsonl (the
TypeScript saver's format: either language's next saver sends it) and reads are answered from
what this process wrote meanwhile; the spool is sent, in order, once the server answers (puts and
writes are idempotent on their keys, so a resend stores nothing twice).
"""

import asyncio
import base64
import json
import logging
import os
import re
import sys
import threading
import urllib.parse
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Sequence, Tuple

try:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import (WRITES_IDX_MAP, BaseCheckpointSaver, ChannelVersions, Checkpoint,
                                           CheckpointMetadata, CheckpointTuple, get_checkpoint_id,
                                           get_checkpoint_metadata)
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("jarvis_context.langgraph needs LangGraph's checkpoint package: "
                      "pip install 'jarvis-context[langgraph]' (langgraph-checkpoint)") from e

from ._discovery import DEFAULT_CONTEXT_PATH, Discovery
from ._errors import JarvisContextError, JarvisContextUnavailable
from ._http import Transport, in_thread
from ._spool import Spool, files_of_gone_processes

logger = logging.getLogger("jarvis_context")

__all__ = ["JarvisSaver"]

_CHECKPOINTS = "/langgraph/checkpoints"
_WRITES = "/langgraph/writes"
_SPOOL_RE = re.compile(r"^langgraph\.spool\.(\d+)\.jsonl$")
# Checkpoints and values kept for reads while the server is away; the oldest go first.
_MAX_LOCAL_CHECKPOINTS = 2000
_MAX_LOCAL_BLOBS = 20000


class JarvisSaver(BaseCheckpointSaver):
    """LangGraph checkpointer over the Jarvis Context REST API.

    base_path, url, token and timeout mean what they mean for JarvisContextManager. With
    spool=False an unreachable server raises JarvisContextUnavailable instead of spooling.
    """

    def __init__(self, base_path: Optional[str] = None, *, url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 10.0, spool: bool = True, serde: Any = None):
        super().__init__(serde=serde)
        named = base_path or os.environ.get("JARVIS_CONTEXT_PATH")
        self.base_path = os.path.abspath(named or DEFAULT_CONTEXT_PATH)
        self._lock = threading.RLock()
        program = re.sub(r"[^\x21-\x7e]", "_", os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "python"))[:60]
        self._http = Transport(Discovery(self.base_path, bool(named), url, token), timeout, program or "python", self._lock)
        self._spool = _CallSpool(self.base_path) if spool else None

    # ---- sync ----

    def get_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        c = config.get("configurable", {})
        if c.get("thread_id") is None:
            return None
        thread, ns, cid = str(c["thread_id"]), str(c.get("checkpoint_ns", "")), get_checkpoint_id(config)

        def remote() -> Optional[dict]:
            try:
                t = self._http.request("GET", "/langgraph/checkpoint" + _query(thread_id=thread, checkpoint_ns=ns, checkpoint_id=cid))
            except JarvisContextError as e:
                if e.status == 404:
                    return None
                raise
            if self._spool is not None and isinstance(t, dict):
                # Kept for reads while the server is away: a graph reads its namespaces' newest checkpoints mid-run.
                self._spool.note({"route": _CHECKPOINTS, "body": dict(t, blobs=t.get("channel_values", []))})
            return t

        wire = self._read(remote, lambda local: local.get_tuple(thread, ns, cid))
        return None if wire is None else self._to_tuple(wire)

    def list(self, config: Optional[RunnableConfig], *, filter: Optional[Dict[str, Any]] = None,
             before: Optional[RunnableConfig] = None, limit: Optional[int] = None) -> Iterator[CheckpointTuple]:
        c = (config or {}).get("configurable", {})
        q = {"thread_id": c.get("thread_id"), "checkpoint_ns": c.get("checkpoint_ns"),
             "checkpoint_id": get_checkpoint_id(config) if config else None,
             "before": get_checkpoint_id(before) if before else None, "limit": limit}
        if limit is not None and limit <= 0:
            return iter(())
        qs = _query(filter=None if filter is None else json.dumps(filter, separators=(",", ":")), **q)
        found = self._read(lambda: self._http.request("GET", _CHECKPOINTS + qs)["checkpoints"],
                           lambda local: local.list(filter=filter, **q))
        return iter([self._to_tuple(w) for w in found])

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        c = config.get("configurable", {})
        if c.get("thread_id") is None:
            raise ValueError("JarvisSaver.put: the config has no configurable.thread_id")
        thread, ns = str(c["thread_id"]), str(c.get("checkpoint_ns", ""))
        rest = dict(checkpoint)
        values = rest.pop("channel_values", {}) or {}
        blobs = []
        for channel, version in new_versions.items():
            typed = self._typed(values[channel]) if channel in values else {"type": "empty", "data": ""}
            blobs.append(dict(typed, channel=channel, version=json.dumps(version)))
        body = {
            "thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": c.get("checkpoint_id"), "checkpoint": self._typed(rest),
            "channel_versions": dict(checkpoint.get("channel_versions", {})),
            "metadata": json.loads(json.dumps(get_checkpoint_metadata(config, metadata), default=repr)), "blobs": blobs,
        }
        self._write({"route": _CHECKPOINTS, "body": body})
        return {"configurable": {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": checkpoint["id"]}}

    def put_writes(self, config: RunnableConfig, writes: Sequence[Tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        c = config.get("configurable", {})
        if c.get("thread_id") is None or c.get("checkpoint_id") is None:
            raise ValueError("JarvisSaver.put_writes: the config needs configurable.thread_id and configurable.checkpoint_id")
        body = {
            "thread_id": str(c["thread_id"]), "checkpoint_ns": str(c.get("checkpoint_ns", "")), "checkpoint_id": str(c["checkpoint_id"]),
            "task_id": task_id, "task_path": task_path,
            "writes": [dict(self._typed(v), idx=WRITES_IDX_MAP.get(ch, i), channel=ch) for i, (ch, v) in enumerate(writes)],
        }
        self._write({"route": _WRITES, "body": body})

    def delete_thread(self, thread_id: str) -> None:
        self._write({"route": "/langgraph/threads/" + urllib.parse.quote(str(thread_id), safe=""), "method": "DELETE"})

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Checkpoints whose metadata run_id is one of these, with their writes."""
        self._write({"route": "/langgraph/delete-for-runs", "body": {"run_ids": [str(r) for r in run_ids]}})

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._write({"route": "/langgraph/copy-thread", "body": {"source_thread_id": source_thread_id, "target_thread_id": target_thread_id}})

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """keep_latest: per namespace only the newest checkpoint stays; delete: nothing stays."""
        self._write({"route": "/langgraph/prune", "body": {"thread_ids": [str(t) for t in thread_ids], "strategy": strategy}})

    def flush(self) -> bool:
        """Sends what the spool holds now; False when the server still cannot be reached."""
        with self._lock:
            return self._drain()

    def close(self) -> None:
        self._http.close()

    # ---- async: the same calls in a worker thread (the transport is the standard library's) ----

    async def aget_tuple(self, config: RunnableConfig) -> Optional[CheckpointTuple]:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(self, config: Optional[RunnableConfig], *, filter: Optional[Dict[str, Any]] = None,
                    before: Optional[RunnableConfig] = None, limit: Optional[int] = None) -> AsyncIterator[CheckpointTuple]:
        found = await asyncio.to_thread(lambda: [*self.list(config, filter=filter, before=before, limit=limit)])
        for t in found:
            yield t

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        return await in_thread(self._http, None, self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[Tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        await in_thread(self._http, None, self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await asyncio.to_thread(self.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)

    async def aget_delta_channel_history(self, *, config: RunnableConfig, channels: Sequence[str]) -> Any:
        # LangGraph's own walk of the parent chain (through get_tuple), off the event loop.
        return await asyncio.to_thread(lambda: self.get_delta_channel_history(config=config, channels=channels))

    # ---- plumbing ----

    def _typed(self, value: Any) -> Dict[str, str]:
        type_, data = self.serde.dumps_typed(value)
        return {"type": type_, "data": base64.b64encode(data).decode("ascii")}

    def _untyped(self, t: dict) -> Any:
        return self.serde.loads_typed((t["type"], base64.b64decode(t["data"])))

    def _to_tuple(self, w: dict) -> CheckpointTuple:
        checkpoint = self._untyped(w["checkpoint"])
        checkpoint["channel_values"] = {b["channel"]: self._untyped(b) for b in w["channel_values"]}
        key = {"thread_id": w["thread_id"], "checkpoint_ns": w["checkpoint_ns"]}
        parent = w.get("parent_checkpoint_id")
        return CheckpointTuple(
            config={"configurable": dict(key, checkpoint_id=w["checkpoint_id"])},
            checkpoint=checkpoint,
            metadata=w["metadata"],
            parent_config={"configurable": dict(key, checkpoint_id=parent)} if parent else None,
            pending_writes=[(p["task_id"], p["channel"], self._untyped(p)) for p in w["pending_writes"]],
        )

    def _write(self, call: dict) -> None:
        """A write: sent after the spool, or spooled when the server cannot be reached."""
        with self._lock:
            if self._spool is not None and not self._drain():
                self._spool.add(call)
                return
            try:
                self._send(call)
            except JarvisContextError as e:
                if self._spool is None or not _unreachable(e):
                    raise
                logger.warning("Jarvis Context unavailable (%s); spooling LangGraph writes to %s", e.message, self._spool.path)
                self._spool.add(call)
                return
            if self._spool is not None:
                self._spool.note(call)

    def _read(self, remote: Any, local: Any) -> Any:
        """A read from the server, or, while it cannot be reached, from what this process spooled."""
        with self._lock:
            if self._spool is not None and not self._drain():
                return local(self._spool)
            try:
                return remote()
            except JarvisContextError as e:
                if self._spool is None or not _unreachable(e):
                    raise
                return local(self._spool)

    def _send(self, call: dict) -> None:
        self._http.request(call.get("method", "POST"), call["route"], call.get("body"))

    def _drain(self) -> bool:
        spool = self._spool
        return spool is None or spool.send(self._send)


def _unreachable(e: JarvisContextError) -> bool:
    return isinstance(e, JarvisContextUnavailable) or e.code == "no_endpoint" or e.status == 503


def _query(**params: Any) -> str:
    q = urllib.parse.urlencode({k: str(v) for k, v in params.items() if v is not None})
    return "?" + q if q else ""


class _CallSpool:
    """Calls waiting for the server (durable, oldest first) and a local view of what this process wrote."""

    def __init__(self, folder: str):
        self.folder = folder
        self._file = Spool(folder)
        self._file.path = self.path = os.path.join(folder, "langgraph.spool.%d.jsonl" % os.getpid())
        self._calls: List[Tuple[dict, str]] = []
        self._checkpoints: Dict[Tuple[str, str, str], dict] = {}
        self._writes: Dict[Tuple[str, str, str], Dict[Tuple[str, int], dict]] = {}
        self._blobs: Dict[Tuple[str, str, str, str], dict] = {}
        for path in files_of_gone_processes(folder, _SPOOL_RE):
            for call in _read_calls(path):
                self._remember(call, path)

    def add(self, call: dict) -> None:
        self._file.append((json.dumps(call, separators=(",", ":")) + "\n").encode("utf-8"))
        self._remember(call, self.path)

    def send(self, post: Any) -> bool:
        """Sends every call in order; True once all were acknowledged, False when the server went away again."""
        while self._calls:
            call, path = self._calls[0]
            try:
                post(call)
            except JarvisContextError as e:
                if _unreachable(e):
                    return False
                # Refused: it can never be stored; the rest must not wait behind it.
                logger.error("Jarvis Context refused a spooled LangGraph call to %s: %s", call.get("route"), e.message)
            self._calls.pop(0)
            if not any(p == path for _, p in self._calls):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
        return True

    def note(self, call: dict) -> None:
        route, body = call.get("route"), call.get("body") or {}
        if route == _CHECKPOINTS:
            key = (body["thread_id"], body["checkpoint_ns"], body["checkpoint_id"])
            self._checkpoints.pop(key, None)
            self._checkpoints[key] = body
            for b in body.get("blobs", []):
                self._blobs.setdefault((key[0], key[1], b["channel"], b["version"]), b)
            _trim(self._checkpoints, _MAX_LOCAL_CHECKPOINTS, lambda k: self._writes.pop(k, None))
            _trim(self._blobs, _MAX_LOCAL_BLOBS)
        elif route == _WRITES:
            stored = self._writes.setdefault((body["thread_id"], body["checkpoint_ns"], body["checkpoint_id"]), {})
            for w in body["writes"]:
                k = (body["task_id"], w["idx"])
                if w["idx"] < 0 or k not in stored:
                    stored[k] = dict(w, task_id=body["task_id"], task_path=body.get("task_path", ""))
        else:
            self._checkpoints.clear()  # a thread operation: what was kept may be gone

    def get_tuple(self, thread: str, ns: str, checkpoint_id: Optional[str]) -> Optional[dict]:
        found = self.list(thread_id=thread, checkpoint_ns=ns, checkpoint_id=checkpoint_id, limit=1)
        return found[0] if found else None

    def list(self, thread_id: Optional[str] = None, checkpoint_ns: Optional[str] = None, checkpoint_id: Optional[str] = None,
             before: Optional[str] = None, filter: Optional[Dict[str, Any]] = None, limit: Optional[int] = None) -> List[dict]:
        found = [c for (t, ns, cid), c in self._checkpoints.items()
                 if (thread_id is None or t == thread_id) and (checkpoint_ns is None or ns == checkpoint_ns)
                 and (checkpoint_id is None or cid == checkpoint_id) and (before is None or cid < before)
                 and all(c["metadata"].get(k) == v for k, v in (filter or {}).items())]
        found.sort(key=lambda c: c["checkpoint_id"], reverse=True)
        return [self._tuple(c) for c in found[:limit]]

    def _tuple(self, c: dict) -> dict:
        t, ns = c["thread_id"], c["checkpoint_ns"]
        values = []
        for channel, v in sorted(c["channel_versions"].items()):
            b = self._blobs.get((t, ns, channel, json.dumps(v)))
            if b is not None and b["type"] != "empty":
                values.append(b)
        writes = sorted(self._writes.get((t, ns, c["checkpoint_id"]), {}).values(), key=lambda w: (w["task_path"], w["task_id"], w["idx"]))
        return dict(c, channel_values=values, pending_writes=writes)

    def _remember(self, call: dict, path: str) -> None:
        self._calls.append((call, path))
        self.note(call)


def _trim(d: dict, limit: int, dropped: Any = None) -> None:
    while len(d) > limit:
        k = next(iter(d))
        del d[k]
        if dropped is not None:
            dropped(k)


def _read_calls(path: str) -> List[dict]:
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        return []
    calls = []
    for line in lines:
        if not line.strip():
            continue
        try:
            c = json.loads(line)
        except ValueError:
            continue  # a torn line from a process killed mid-append: that call never returned
        if isinstance(c, dict) and isinstance(c.get("route"), str) and c["route"].startswith("/langgraph/"):
            calls.append(c)
    return calls
