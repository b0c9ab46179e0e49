"""The client's exceptions: API error answers, an unreachable server, and refused input."""

from typing import Optional


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


class RunCancelled(Exception):
    """The debugger stopped the run (Stop while this call was held at a breakpoint).

    The write itself was stored; catch this to end the run cleanly. Only the held call raises:
    later calls work, so the orchestrator can still record how it stopped.
    """

    def __init__(self, hold_id: str):
        super().__init__("the debugger stopped the run at hold %s" % hold_id)
        self.hold_id = hold_id
