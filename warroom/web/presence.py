"""Who is watching a board right now: the logged-in viewers of its live streams (SSE), by board.

A viewer counts from the moment their stream's first snapshot was sent (so a viewer the board refuses never
counts) until the stream ends. One person with three tabs open is one name: streams are counted per
(username), and the name goes when their last stream closes. Held in memory by the one server process,
like the live hub whose subscriptions it mirrors.
"""

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class Presence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, Counter[str]] = {}  # board -> username -> open streams
        self._names: dict[str, str] = {}  # username -> display name, as of their newest stream

    @contextmanager
    def watching(self, board: str, username: str, display_name: str) -> Iterator[None]:
        with self._lock:
            self._streams.setdefault(board, Counter())[username] += 1
            self._names[username] = display_name
        try:
            yield
        finally:
            with self._lock:
                streams = self._streams[board]
                streams[username] -= 1
                if streams[username] <= 0:
                    del streams[username]
                if not streams:
                    del self._streams[board]

    def viewers(self, board: str) -> list[dict[str, str]]:
        """The board's viewers, each once, by display name then username."""
        with self._lock:
            names = list(self._streams.get(board, ()))
            found = [{"username": u, "display_name": self._names[u]} for u in names]
        return sorted(found, key=lambda v: (v["display_name"], v["username"]))
