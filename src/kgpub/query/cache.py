"""A small byte-bounded LRU cache of answers, keyed by the digest of the prepared job (one release each)."""

from __future__ import annotations

from collections import OrderedDict

from kgpub.query.protocol import Answer


class AnswerCache:
    def __init__(self, limit_bytes: int = 4 * 1024 * 1024) -> None:
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._bytes, self.limit = 0, limit_bytes
        self.hits = self.misses = 0  # for /metrics

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Answer | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return found

    def put(self, key: str, answer: Answer) -> None:
        size = len(answer.body)
        if size > self.limit // 16 or key in self._items:  # one big answer must not push out many small ones
            return
        self._items[key] = answer
        self._bytes += size
        while self._bytes > self.limit:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old.body)
