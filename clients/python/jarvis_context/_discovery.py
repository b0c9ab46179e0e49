"""Finding the server, and deciding whether an endpoint.json may say where it is.

A cloned repository can ship `memory/context/jarvis/endpoint.json`; a client must not follow it to
another host, nor away from the server its user named. The rules (the same in the TypeScript
client, held by clients/shared/cases.json):

1. A URL given to the constructor is used as is: endpoint.json is never read.
2. JARVIS_CONTEXT_URL (with JARVIS_CONTEXT_TOKEN) is used. The folder's endpoint.json may move it
   (the server came back on another port) or say its server is dead, only when the folder was
   named (the path argument or JARVIS_CONTEXT_PATH, not the default) and the file passes the file
   checks and carries the same token.
3. Otherwise endpoint.json in the folder (path argument, else JARVIS_CONTEXT_PATH, else
   ./memory/context/jarvis) is used when it passes the file checks; when it does not, a warning
   and writes spool as with no server.

File checks: a regular file, not a symlink; on POSIX owned by the current user and not writable
by group or others; its URL http on a loopback host (127.0.0.0/8, ::1, localhost).
"""

import ipaddress
import json
import logging
import os
import re
import stat
import urllib.parse
from typing import Any, Optional, Tuple

from ._errors import JarvisContextUnavailable
from ._spool import pid_alive

logger = logging.getLogger("jarvis_context")

API_PREFIX = "/api/jarvis/context"
DEFAULT_CONTEXT_PATH = "./memory/context/jarvis"
ENDPOINT_FILE = "endpoint.json"
_IPV4_LOOPBACK = re.compile(r"^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
# No following a link; no waiting on a FIFO planted under the name (no effect on a regular file).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def is_loopback_url(url: Any) -> bool:
    """http on 127.0.0.0/8, ::1 or localhost: what a server of this machine advertises."""
    if not isinstance(url, str):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not one
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme != "http" or parts.username is not None:
        return False
    if host == "localhost":
        return True
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host) == ipaddress.IPv6Address("::1")
        except ValueError:
            return False
    m = _IPV4_LOOPBACK.match(host)
    return bool(m) and all(int(n) <= 255 for n in m.groups())


class EndpointFile:
    """endpoint.json of one folder, read again only when it changes; a refusal is warned once."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, ENDPOINT_FILE)
        self.stamp_read: Optional[Tuple[int, ...]] = None  # of the file as last read
        self.refused: Optional[str] = None
        self._found: Optional[Tuple[str, str, Any]] = None

    def _stamp(self) -> Optional[Tuple[int, ...]]:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return None
        # The server replaces the file by rename (a new inode); chmod and chown change the rest.
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_mode, st.st_uid)

    def read(self) -> Optional[Tuple[str, str, Any]]:
        """(url, token, pid) when the file is there and passes the checks, else None (with
        `refused` saying why, when it is there and fails them)."""
        stamp = self._stamp()
        if stamp is None:
            self.stamp_read, self._found, self.refused = None, None, None
        elif stamp != self.stamp_read:
            try:
                found, refused = self._load(), None
            except _Refused as e:
                found, refused = None, str(e)
                if refused != self.refused:
                    logger.warning("Jarvis Context: ignoring %s: %s", self.path, refused)
            except (OSError, ValueError, KeyError, TypeError):
                return None  # half-written by a server starting now: look again next time
            self.stamp_read, self._found, self.refused = stamp, found, refused
        return self._found

    def _load(self) -> Tuple[str, str, Any]:
        try:
            fd = os.open(self.path, _OPEN_FLAGS)
        except OSError as e:
            if os.path.islink(self.path):
                raise _Refused("it is a symbolic link")
            raise e
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _Refused("not a regular file")
            if os.name == "posix":
                if st.st_uid != os.geteuid():
                    raise _Refused("owned by uid %d, not by this user (uid %d)" % (st.st_uid, os.geteuid()))
                if st.st_mode & 0o022:
                    raise _Refused("writable by group or others (mode %o)" % stat.S_IMODE(st.st_mode))
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = json.loads(f.read().decode("utf-8"))
        finally:
            os.close(fd)
        url = data["url"]
        if not is_loopback_url(url):
            raise _Refused("its URL %r is not http on this machine (127.0.0.0/8, ::1, localhost)" % (url,))
        return str(url), str(data.get("token", "")), data.get("pid")


class _Refused(Exception):
    pass


class Discovery:
    """Where requests go: (url, token), by the rules above."""

    def __init__(self, folder: str, folder_named: bool, url: Optional[str], token: Optional[str]):
        self.folder = folder
        self._folder_named = folder_named
        self._from_env = not url and bool(os.environ.get("JARVIS_CONTEXT_URL"))
        url = url or os.environ.get("JARVIS_CONTEXT_URL")
        self._fixed = (url, token if token is not None else os.environ.get("JARVIS_CONTEXT_TOKEN", "")) if url else None
        self._file = EndpointFile(folder)
        self._file_endpoint: Optional[Tuple[str, str]] = None  # pid checked for the file as read
        self._checked: Optional[Tuple[int, ...]] = None
        self._mismatch_warned: Optional[Tuple[int, ...]] = None

    def resolve(self) -> Tuple[str, str]:
        if self._fixed and self._from_env:
            self._follow_moved_server()
        if self._fixed:
            return self._fixed
        return self._resolve_file()

    def recheck(self) -> Tuple[str, str]:
        """After a kept-alive connection was reset: where to send now (a dead server raises)."""
        if self._fixed and self._from_env:
            self._follow_moved_server()
        elif not self._fixed:
            self._file_endpoint = None  # read endpoint.json again: a dead pid raises
        return self.resolve()

    def _follow_moved_server(self) -> None:
        """A terminal's JARVIS_CONTEXT_URL goes stale when the server comes back on another port
        (its own was taken): the folder's endpoint.json, naming a live server elsewhere with the
        same token, wins. Checked before connecting: the old port may now belong to a program
        that never answers, and a server known dead (killed -9, its endpoint.json left) is not
        waited on."""
        if not self._folder_named:
            return  # the default folder is the current directory's: a cloned repository's
        found = self._file.read()
        if found is None or self._fixed is None:
            return
        url, token, pid = found
        if not self._fixed[1] or token != self._fixed[1]:
            stamp = self._file.stamp_read
            if stamp != self._mismatch_warned and url.rstrip("/") != self._fixed[0].rstrip("/"):
                self._mismatch_warned = stamp
                logger.warning("Jarvis Context: %s names %s with another token; keeping JARVIS_CONTEXT_URL %s",
                               self._file.path, url, self._fixed[0])
            return
        alive = not isinstance(pid, int) or pid_alive(pid)  # a signal 0, each time: servers die
        if url.rstrip("/") == self._fixed[0].rstrip("/"):
            if not alive:
                raise JarvisContextUnavailable(0, "unreachable", "the server (pid %s) in %s is not running" % (pid, self._file.path))
        elif alive:
            logger.warning("Jarvis Context: the server moved to %s (%s); following it", url, self._file.path)
            self._fixed = (url, token)

    def _resolve_file(self) -> Tuple[str, str]:
        found = self._file.read()
        if found is None:
            if self._file.refused:
                raise JarvisContextUnavailable(0, "no_endpoint", "%s refused: %s" % (self._file.path, self._file.refused))
            if os.path.lexists(self._file.path):
                raise JarvisContextUnavailable(0, "no_endpoint", "unreadable %s" % self._file.path)
            raise JarvisContextUnavailable(0, "no_endpoint", "no Jarvis Context server: set JARVIS_CONTEXT_URL and "
                                           "JARVIS_CONTEXT_TOKEN, or start `jarvis-context serve` for %s" % self.folder)
        if self._file_endpoint is None or self._checked != self._file.stamp_read:
            url, token, pid = found
            # A server killed -9 leaves its endpoint.json: do not wait on a dead port.
            if isinstance(pid, int) and not pid_alive(pid):
                self._file_endpoint = None
                raise JarvisContextUnavailable(0, "unreachable", "the server (pid %d) in %s is not running" % (pid, self._file.path))
            self._file_endpoint, self._checked = (url, token), self._file.stamp_read
        return self._file_endpoint
