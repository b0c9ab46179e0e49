"""AsyncJarvisContextManager: the same API as coroutines, for asyncio orchestrators.

Each call runs the blocking client in a worker thread of the manager's own, so the event loop never
waits on HTTP, on the spool's fsync, or on a call held at a debugger's breakpoint; one lock inside
the manager keeps the calls in order.
"""

import asyncio
import concurrent.futures
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ._http import in_thread
from ._manager import JarvisContextManager


class AsyncJarvisContextManager:
    """`await AsyncJarvisContextManager.create(...)` (or construct, then `await cm.start()`);
    arguments as JarvisContextManager. The sync manager is `cm.sync`."""

    def __init__(self, base_path: Optional[str] = None, **options: Any):
        options["start"] = False
        self.sync = JarvisContextManager(base_path, **options)
        self._started = False
        # One thread: the manager runs its calls one at a time anyway (its lock), and calls queued
        # behind a held one then take none of the loop's default threads (asyncio.to_thread).
        self._worker: Optional[concurrent.futures.ThreadPoolExecutor] = None

    @classmethod
    async def create(cls, base_path: Optional[str] = None, **options: Any) -> "AsyncJarvisContextManager":
        cm = cls(base_path, **options)
        await cm.start()
        return cm

    async def start(self) -> None:
        """Sends an earlier run's spool and, when the crash marker is there, recovers."""
        if not self._started:
            self._started = True
            await in_thread(self.sync._http, self._thread(), self.sync.start)

    def _thread(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._worker is None:
            self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="jarvis-context")
        return self._worker

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        await self.start()
        return await in_thread(self.sync._http, self._thread(), fn, *args, **kwargs)

    @property
    def crash_marker(self) -> Any:
        return self.sync.crash_marker

    async def update_task_progress(self, task_id: str, progress: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        return await self._run(self.sync.update_task_progress, task_id, progress, **fields)

    async def log_decision(self, *args: Any, **kwargs: Any) -> Optional[dict]:
        return await self._run(self.sync.log_decision, *args, **kwargs)

    async def update_agent_state(self, agent_id: str, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        return await self._run(self.sync.update_agent_state, agent_id, state, **fields)

    async def log_agent_message(self, from_agent: str, to_agent: str, message_type: str, content: Any,
                                response: Any = None) -> Optional[dict]:
        return await self._run(self.sync.log_agent_message, from_agent, to_agent, message_type, content, response)

    async def update_context(self, state: Optional[Dict[str, Any]] = None, **fields: Any) -> Optional[dict]:
        return await self._run(self.sync.update_context, state, **fields)

    async def record(self, events: Iterable[Dict[str, Any]], context_patch: Any = None) -> bool:
        return await self._run(self.sync.record, list(events), context_patch)

    async def mark_recovery_point(self, label: str) -> Optional[dict]:
        return await self._run(self.sync.mark_recovery_point, label)

    async def save_context(self, recovery_point: bool = False, reason: Optional[str] = None) -> Optional[dict]:
        return await self._run(self.sync.save_context, recovery_point, reason)

    async def get_context_status(self) -> dict:
        return await self._run(self.sync.get_context_status)

    async def active_context(self) -> Mapping[str, Any]:
        """The seed's active_context (a coroutine here: it reads the server)."""
        return await self._run(lambda: self.sync.active_context)

    async def restore_context(self) -> Optional[dict]:
        return await self._run(self.sync.restore_context)

    async def recover_from_crash(self) -> dict:
        return await self._run(self.sync.recover_from_crash)

    async def get_agents(self) -> List[dict]:
        return await self._run(self.sync.get_agents)

    async def get_tasks(self, status: Optional[str] = None) -> List[dict]:
        return await self._run(self.sync.get_tasks, status)

    async def get_decisions(self, **query: Any) -> List[dict]:
        return await self._run(self.sync.get_decisions, **query)

    async def get_messages(self, **query: Any) -> List[dict]:
        return await self._run(self.sync.get_messages, **query)

    async def checkpoint(self, label: Optional[str] = None) -> dict:
        return await self._run(self.sync.checkpoint, label)

    async def request(self, method: str, route: str, body: Any = None) -> Any:
        return await self._run(self.sync.request, method, route, body)

    async def flush_spool(self) -> int:
        return await self._run(self.sync.flush_spool)

    async def pending_spooled(self) -> int:
        return await asyncio.to_thread(self.sync.pending_spooled)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=False)

    async def __aenter__(self) -> "AsyncJarvisContextManager":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
