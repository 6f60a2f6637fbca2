"""A real HTTP receiver for webhook tests: a threaded server on 127.0.0.1 that records every
request and answers as the test says (a status, headers, or holding the request)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 200

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # (request) -> (status, headers); the default accepts everything.
    answer: Callable[[Received], tuple[int, dict[str, str]]] = lambda r: (200, {})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, predicate: Callable[["Receiver"], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"receiver: condition not met in {timeout}s; got "
                             f"{len(self.requests)} requests")

    async def until(self, predicate: Callable[["Receiver"], bool],
                    timeout: float = 15.0) -> None:  # noqa: ASYNC109 - polls a thread
        """``wait_for`` without blocking the event loop (for in-process servers)."""
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"receiver: condition not met in {timeout}s; got "
                             f"{len(self.requests)} requests: "
                             f"{[(r.status, r.headers.get('webhook-id')) for r in self.requests]}")


@contextmanager
def receiving() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            got = Received(self.path, dict(self.headers.items()), self.rfile.read(length),
                           time.monotonic())
            receiver = box["r"]
            status, headers = receiver.answer(got)
            got.status = status
            with receiver.lock:
                receiver.requests.append(got)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()
