"""Run N downloads at about RATE bytes/s each, in a process of their own.

    python -m tests.support.throttled_downloads URL COOKIE N RATE

Prints "started" once every download has received its first MiB, then one JSON line with
each download's size, SHA-256 and error. A separate process, so the test that probes the
site meanwhile measures the server, not its own threads.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

MIB = 1024 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def open_download(url: str, cookie: str) -> Any:
    """Ask the app; on s3 it answers 302 and the store sends the bytes."""
    opener = urllib.request.build_opener(_NoRedirect())
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        return opener.open(request, timeout=60)
    except urllib.error.HTTPError as redirect:
        redirect.close()
        if redirect.code != 302:
            raise
        return urllib.request.urlopen(redirect.headers["Location"], timeout=60)


def download(url: str, cookie: str, rate: int, result: dict[str, Any]) -> None:
    digest = hashlib.sha256()
    result["received"] = 0
    try:
        with open_download(url, cookie) as response:
            start = time.monotonic()
            while chunk := response.read(64 * 1024):
                digest.update(chunk)
                result["received"] += len(chunk)
                ahead = result["received"] / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    except Exception as exc:  # reported to the test as a value
        result["error"] = repr(exc)
    result["sha256"] = digest.hexdigest()


def main(url: str, cookie: str, count: int, rate: int) -> None:
    results: list[dict[str, Any]] = [{} for _ in range(count)]
    threads = [threading.Thread(target=download, args=(url, cookie, rate, r)) for r in results]
    for thread in threads:
        thread.start()
    while not all(r.get("received", 0) > MIB or "error" in r for r in results):
        time.sleep(0.05)
    print("started", flush=True)
    for thread in threads:
        thread.join()
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
