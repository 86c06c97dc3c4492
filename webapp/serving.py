"""The production web worker: gunicorn's threaded worker, with JSON for errors it answers itself.

gunicorn refuses some requests before the app sees them (a request line or headers too long,
malformed HTTP). Its own answer is an HTML page; Keepsake's clients expect
{"error", "message"} for every status, so this worker writes that instead.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

# (exception, status, reason, error code, message) in the order gunicorn checks them.
REFUSALS: tuple[tuple[type[Exception], int, str, str, str], ...] = (
    (errors.LimitRequestLine, 414, "URI Too Long", "uri_too_long", "The address is too long."),
    (
        errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "The request headers are too large.",
    ),
    (
        errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "unsupported_transfer_coding",
        "That transfer coding is not supported.",
    ),
    (
        errors.ExpectationFailed,
        417,
        "Expectation Failed",
        "expectation_failed",
        "Unsupported Expect.",
    ),
    (errors.ForbiddenProxyRequest, 403, "Forbidden", "forbidden", "Request forbidden."),
    (errors.ParseException, 400, "Bad Request", "bad_request", "The request is not valid HTTP."),
)
INTERNAL = (500, "Internal Server Error", "internal_error", "Something went wrong on our side.")
LINGER_SECONDS = 2.0  # gunicorn's own bound on a closing connection's linger
LINGER_BYTES = 65536


def refusal(exc: BaseException) -> tuple[int, str, str, str] | None:
    """The answer to a request gunicorn could not parse, or None for an unexpected error."""
    for kind, status, reason, code, message in REFUSALS:
        if isinstance(exc, kind):
            return status, reason, code, message
    return None


def error_bytes(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP response carrying Keepsake's JSON error."""
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def linger(sock: socket.socket) -> None:
    """Half-close and drain until the peer closes (RFC 9112 9.6), then shut the read side too.

    gunicorn (26 and later) does this drain itself, but on the worker's main loop, which also
    accepts every new connection: a client still reading the end of a download, or one that
    never closes, stalled the whole worker for up to two seconds per connection. Drained here,
    on the request's own thread, the main loop's close finds the socket done and returns at once.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, drained = time.monotonic() + LINGER_SECONDS, 0
        while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            data = sock.recv(4096)
            if not data:
                break
            drained += len(data)
    except OSError:  # timed out, or the peer is gone: nothing more to wait for
        pass
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:  # already closed
        pass


class JsonErrorWorker(ThreadWorker):
    """gthread: a slow client holds one thread, never the worker or its heartbeat."""

    def handle(self, conn: Any) -> Any:
        """Serve a connection; one that ends lingers on this thread, not on the main loop."""
        keep_alive = super().handle(conn)
        if keep_alive is False:
            linger(conn.sock)
        return keep_alive

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer what gunicorn refuses in JSON; log like gunicorn does."""
        answer = refusal(exc)
        if answer is None:
            self.log.exception("Error handling request")
            answer = INTERNAL
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(error_bytes(*answer))
        except OSError:
            self.log.debug("Failed to send error message.")
