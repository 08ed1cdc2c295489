"""web/strict: query strings are UTF-8 or a 400 (tested with the routes), and long targets are not kept."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.testclient import TestClient


def test_a_long_target_is_not_kept_in_urllibs_cache(client: TestClient) -> None:
    """urlsplit remembers its last 128 results: 128 targets of 64 kB were about 30 MB of the server's memory."""
    urlsplit.cache_clear()
    r = client.get("/id/x/" + "a" * 10_000)
    assert r.status_code == 404
    assert urlsplit.cache_info().currsize == 0
    client.get("/id/country/KR")  # a short one may stay
