"""One kept-alive HTTP connection to the server, requests and their error answers."""

import asyncio
import concurrent.futures
import contextvars
import functools
import http.client
import json
import logging
import os
import sys
import threading
import time
import urllib.parse
from typing import Any, Callable, Optional, Tuple

from ._discovery import API_PREFIX, Discovery
from ._errors import JarvisContextError, JarvisContextUnavailable, RunCancelled

logger = logging.getLogger("jarvis_context")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames of the machinery that runs a call (event loop, worker threads) are never the orchestrator's.
_RUNNERS = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (asyncio, concurrent.futures)) + (os.path.abspath(threading.__file__),)
# An asyncio orchestrator's await site, taken in the coroutine and carried into the worker thread
# that sends the call (whose own stack holds no orchestrator frame). Set only while debugged.
_AWAIT_SITE: "contextvars.ContextVar[Optional[str]]" = contextvars.ContextVar("jarvis_context_await_site", default=None)


def _env_hold_timeout() -> float:
    try:
        ms = float(os.environ.get("JARVIS_HOLD_TIMEOUT_MS", ""))
        return ms / 1000.0 if ms > 0 else 5.0
    except ValueError:
        return 5.0


def caller() -> Optional[str]:
    """`<file>:<line>:<function>` of the first frame outside this package (the Jarvis-Caller header)."""
    frame = sys._getframe(1)
    while frame is not None:
        file = os.path.abspath(frame.f_code.co_filename)
        if not file.startswith(_PACKAGE_DIR + os.sep) and not file.startswith("<") and not file.startswith(_RUNNERS):
            fn = "".join(c if 0x21 <= ord(c) <= 0x7E and c != ":" else "_" for c in frame.f_code.co_name)[:200]
            return "%s:%d:%s" % (urllib.parse.quote(file, safe=""), frame.f_lineno, fn)
        frame = frame.f_back
    return None


async def in_thread(transport: "Transport", executor: Optional[concurrent.futures.Executor], fn: Callable[..., Any],
                    *args: Any, **kwargs: Any) -> Any:
    """Runs a blocking call (which may be held at a breakpoint) in a worker thread, so the event loop
    goes on meanwhile. While a debug session exists, the call's Jarvis-Caller names the coroutine
    that awaited it (file:line:function); otherwise nothing is read from the stack."""
    token = _AWAIT_SITE.set(caller()) if transport.debugging else None
    try:
        # The context is copied after the set: the worker reads the await site from it.
        run = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, run)
    finally:
        if token is not None:
            _AWAIT_SITE.reset(token)


class Transport:
    def __init__(self, discovery: Discovery, timeout: float, program: str, lock: threading.RLock):
        self.discovery = discovery
        self.timeout = timeout
        self._program = program
        self._lock = lock
        self._conn: Optional[http.client.HTTPConnection] = None
        self._conn_key: Optional[Tuple[str, int]] = None
        self._conn_used = False
        # The server said a debug session exists (Jarvis-Debug): writes then say where they come from.
        self.debugging = False
        # A hold this client stopped waiting on by itself: said in its next write (Jarvis-Hold-Released).
        self._went_on_from = None
        # A call held at a breakpoint continues on its own once the server has been unreachable this long.
        self.hold_timeout = _env_hold_timeout()

    def request(self, method: str, route: str, body: Any = None, spooled: bool = False) -> Any:
        url, token = self.discovery.resolve()
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
        if self._went_on_from is not None and method != "GET":
            headers["Jarvis-Hold-Released"] = self._went_on_from
            self._went_on_from = None
        if self.debugging and method != "GET":
            where = _AWAIT_SITE.get() or caller()
            if where:
                headers["Jarvis-Caller"] = where
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
                    self.close()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                # The server closed a kept-alive connection while idle: the request never arrived.
                # Sent again only when repeating it is harmless (see _retryable), and unless the
                # server died (killed, not idle): its port may already be another's.
                if attempt == 0 and reused and _retryable(method, route):
                    if self.discovery.recheck() != (url, token):
                        raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s; the server moved" % (method, route, e))
                    continue
                raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s" % (method, route, e))
            except OSError as e:
                self.close()
                code = "timeout" if isinstance(e, TimeoutError) or "timed out" in str(e) else "unreachable"
                raise JarvisContextUnavailable(0, code, "%s %s: %s" % (method, route, e))
            except http.client.HTTPException as e:
                self.close()
                raise JarvisContextUnavailable(0, "unreachable", "%s %s: %s" % (method, route, e))
        assert resp is not None  # the loop either broke with an answer or raised
        self.debugging = resp.getheader("Jarvis-Debug") == "1"
        text = data.decode("utf-8", "replace")
        if resp.status >= 300:
            code, message, field = "bad_response", text[:200] or "HTTP %d" % resp.status, None
            try:
                err = json.loads(text)["error"]
                code, message, field = str(err.get("code", "error")), str(err["message"]), err.get("field")
            except (ValueError, KeyError, TypeError):
                pass
            raise JarvisContextError(resp.status, code, "%s %s: %s" % (method, route, message), field)
        answer = None
        if text:
            try:
                answer = json.loads(text)
            except ValueError:
                raise JarvisContextError(resp.status, "bad_response", "%s %s: answer is not JSON" % (method, route))
        # Stored and acknowledged; a breakpoint holds this call until the debugger lets it go (a
        # hold comes with Jarvis-Debug: with no session, no header is looked for).
        hold = resp.getheader("Jarvis-Hold") if self.debugging else None
        if hold and not route.startswith("/debug/"):
            self._wait_on_hold(hold)
        return answer

    def _wait_on_hold(self, hold_id: str) -> None:
        """Long-polls the hold until the debugger continues it (returns) or cancels it (RunCancelled).

        Anything else lets the call go on, logged: the hold unknown (a restarted server), an error,
        or the server unreachable for hold_timeout seconds. Never a hung orchestrator.
        """
        route = "/holds/%s?wait=%d" % (urllib.parse.quote(hold_id, safe=""), max(1, min(25, int(self.timeout) - 2)))
        down_since = None
        while True:
            try:
                r = self.request("GET", route)
                down_since = None
            except JarvisContextUnavailable as e:
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since < self.hold_timeout:
                    time.sleep(min(0.2, self.hold_timeout - (now - down_since)))
                    continue
                logger.warning("held at a breakpoint (hold %s) and the server has been unreachable for %.1f s (%s); continuing",
                               hold_id, self.hold_timeout, e.message)
                self._went_on_from = hold_id
                return
            except JarvisContextError as e:
                logger.warning("stopped waiting on hold %s (%s); continuing", hold_id, e.message)
                self._went_on_from = hold_id
                return
            state = r.get("state") if isinstance(r, dict) else None
            if state == "cancel":
                raise RunCancelled(hold_id)
            if state != "open":
                return

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self, key: Tuple[str, int]) -> http.client.HTTPConnection:
        if self._conn is None or self._conn_key != key:
            self.close()
            self._conn = http.client.HTTPConnection(key[0], key[1], timeout=self.timeout)
            self._conn_key = key
            self._conn_used = False
        return self._conn


def _retryable(method: str, route: str) -> bool:
    # Reads and PUTs (which replace) may be repeated; POSTs only to /events (event ids dedupe).
    return method != "POST" or route == "/events"
