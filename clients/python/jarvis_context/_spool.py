"""spool.jsonl: where writes go while the server cannot be reached (README.md, "Spool format").

Appends are one write() with O_APPEND (and flock on POSIX), fsync, then a check that the path still
names the file written to (a flush renames the spool away; a line that may have been missed is
written again, its event_id makes a second copy harmless). A flush renames spool.jsonl to
spool.sending.<pid>.jsonl, sends it in batches and deletes it once every batch got a 2xx.
"""

import errno
import json
import logging
import os
import re
import threading
from typing import Callable, Iterable, Iterator, List

from ._errors import JarvisContextError
from ._validate import encode_line

try:  # POSIX: serialise appends between processes.
    import fcntl
except ImportError:  # Windows: best effort, single write() calls.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("jarvis_context")

SPOOL_FILE = "spool.jsonl"
REJECTED_FILE = "spool.rejected.jsonl"
# A spool taken by a client for sending: spool.sending.<pid>.jsonl.
SENDING_PREFIX = "spool.sending."
_SENDING_RE = re.compile(r"^spool\.sending\.(\d+)\.jsonl$")
_FLUSH_LOCK = threading.RLock()  # managers of one process share the spool files
# Body limit is 1 MiB; stay well under it.
_BATCH_MAX_EVENTS = 500
_BATCH_MAX_BYTES = 512 * 1024

Post = Callable[[List[dict]], None]


class Spool:
    def __init__(self, folder: str):
        self.folder = folder
        self.path = os.path.join(folder, SPOOL_FILE)
        self.rejected_path = os.path.join(folder, REJECTED_FILE)

    def append(self, line: bytes) -> None:
        """Appends the lines (one batch, one write) durably."""
        ensure_private_dir(self.folder)
        while True:
            created = not os.path.exists(self.path)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
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
                    now = os.stat(self.path)
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
            _fsync_dir(self.folder)

    def pending(self) -> int:
        """Events waiting (all processes), taken-but-unsent files included."""
        for _ in range(5):
            # A spool taken (renamed) or sent (deleted) while counting shows as a change in the
            # listing: count again, so a file is never counted twice or missed.
            before = self._sending_files()
            count = 0
            for path in [self.path] + before:
                try:
                    with open(path, "rb") as f:
                        count += sum(1 for line in f if line.strip())
                except FileNotFoundError:
                    pass
            if self._sending_files() == before:
                break
        return count

    def has_pending(self) -> bool:
        return bool(self.leftovers()) or _nonempty(self.path)

    def _sending_files(self) -> List[str]:
        try:
            return sorted(os.path.join(self.folder, n) for n in os.listdir(self.folder) if _SENDING_RE.match(n))
        except FileNotFoundError:
            return []

    def leftovers(self) -> List[str]:
        """Files left by a flush that failed (ours) or whose process died, oldest first."""
        return files_of_gone_processes(self.folder, _SENDING_RE)

    def flush(self, post: Post) -> int:
        """Sends the leftovers, then the spool, through post (which raises JarvisContextError)."""
        with _FLUSH_LOCK:
            sent = 0
            for path in self.leftovers():  # they are older
                sent += self._send_file(path, post)
            # Take the spool away by rename, so appenders (of any process or language) never
            # write into a file being sent: they see the rename and write their line again.
            mine = os.path.join(self.folder, "%s%d.jsonl" % (SENDING_PREFIX, os.getpid()))
            try:
                os.rename(self.path, mine)
            except FileNotFoundError:
                pass  # another client took it
            else:
                _fsync_dir(self.folder)
                sent += self._send_file(mine, post)
            if sent:
                logger.info("Jarvis Context: sent %d spooled events", sent)
            return sent

    def _send_file(self, path: str, post: Post) -> int:
        """Sends one taken spool file, in batches, and deletes it once every batch got a 2xx."""
        try:
            with open(path, "rb") as f:
                events = list(_parse_lines(f))
        except FileNotFoundError:
            return 0  # sent and removed by another manager of this process
        for batch in _batches(events):
            try:
                post(batch)
            except JarvisContextError as e:
                if e.status != 400:
                    raise  # unreachable or failing: the file stays for next time
                self._send_one_by_one(batch, post)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        _fsync_dir(self.folder)
        return len(events)

    def _send_one_by_one(self, batch: List[dict], post: Post) -> None:
        # One bad event must not block the rest forever: keep it aside, with the reason.
        for event in batch:
            try:
                post([event])
            except JarvisContextError as e:
                if e.status != 400:
                    raise
                logger.error("Jarvis Context refused spooled event %s: %s; kept in %s", event.get("event_id"), e.message, self.rejected_path)
                line = encode_line({"event": event, "error": {"code": e.code, "field": e.field, "message": e.message}})
                fd = os.open(self.rejected_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    _write_all(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)


def files_of_gone_processes(folder: str, pattern: "re.Pattern[str]") -> List[str]:
    """Files in folder whose name (pattern, the pid its first group) is this process's or a dead one's, oldest first."""
    found = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    for name in names:
        m = pattern.match(name)
        if m and (int(m.group(1)) == os.getpid() or not pid_alive(int(m.group(1)))):
            path = os.path.join(folder, name)
            try:
                found.append((os.stat(path).st_mtime_ns, path))
            except FileNotFoundError:
                pass
    return [path for _, path in sorted(found)]


def ensure_private_dir(folder: str) -> None:
    """Creates the folder (and missing parents) as 0700 whatever the umask: it holds a token's
    reach and the orchestrator's records. Folders that exist are left as they are."""
    missing = []
    path = os.path.abspath(folder)
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: theirs to set
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def parse_spool(data: bytes) -> List[dict]:
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


def _nonempty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except FileNotFoundError:
        return False


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


def pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True
