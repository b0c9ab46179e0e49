"""One kept-alive HTTP connection to the server, requests and their error answers."""

import http.client
import json
import os
import threading
import urllib.parse
from typing import Any, Optional, Tuple

from ._discovery import API_PREFIX, Discovery
from ._errors import JarvisContextError, JarvisContextUnavailable


class Transport:
    def __init__(self, discovery: Discovery, timeout: float, program: str, lock: threading.RLock):
        self.discovery = discovery
        self.timeout = timeout
        self._program = program
        self._lock = lock
        self._conn: Optional[http.client.HTTPConnection] = None
        self._conn_key: Optional[Tuple[str, int]] = None
        self._conn_used = False

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
