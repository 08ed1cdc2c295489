"""Small byte-bounded LRU caches: the answer cache (keyed by the digest of the prepared job, one release each),
and the same mechanism for anything else kept by size (``web/replay`` keeps whole HTTP answers in one)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kgpub.query.protocol import Answer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``limit_bytes`` of values (by ``size``), least recently used out first; a value over
    ``entry_limit`` (default a sixteenth of the whole) is never kept: one big one must not push out many small."""

    def __init__(self, limit_bytes: int, size: Callable[[V], int], *, entry_limit: int | None = None) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._bytes, self.limit, self._size = 0, limit_bytes, size
        self.entry_limit = limit_bytes // 16 if entry_limit is None else entry_limit
        self.hits = self.misses = 0  # for /metrics

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        size = self._size(value)
        if size > self.entry_limit or key in self._items:
            return
        self._items[key] = value
        self._bytes += size
        while self._bytes > self.limit:
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


class AnswerCache(BoundedCache[str, Answer]):
    def __init__(self, limit_bytes: int = 4 * 1024 * 1024) -> None:
        super().__init__(limit_bytes, lambda answer: len(answer.body))
