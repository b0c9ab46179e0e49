"""Jarvis Context client for Python orchestrators: standard library only, Python 3.9+.

Keeps the seed's API, so a seed-style orchestrator changes only its imports:

    from jarvis_context import JarvisContextManager
    from jarvis_context import JarvisOrchestratorWithContext, integrate_context_manager

The extension (or `jarvis-context serve`) owns the storage; this package reports to it over the
REST API. While the server cannot be reached, writes go to `spool.jsonl` in the storage folder and
are sent on the next successful connection (README.md, "Spool format").
"""

from ._aio import AsyncJarvisContextManager
from ._integration import (HOOKED_METHODS, AsyncJarvisOrchestratorWithContext, JarvisOrchestratorWithContext,
                           integrate_context_manager)
from ._manager import (CRASH_MARKER_FILE, TASK_STATUSES, JarvisContextError, JarvisContextManager,
                       JarvisContextUnavailable, JarvisContextValidationError)
from ._errors import RunCancelled

__version__ = "0.1.0"

__all__ = [
    "JarvisContextManager",
    "AsyncJarvisContextManager",
    "JarvisOrchestratorWithContext",
    "AsyncJarvisOrchestratorWithContext",
    "integrate_context_manager",
    "JarvisContextError",
    "JarvisContextUnavailable",
    "JarvisContextValidationError",
    "RunCancelled",
    "RunCancelled",
    "TASK_STATUSES",
    "HOOKED_METHODS",
    "CRASH_MARKER_FILE",
]
