#!/usr/bin/env python3
"""Measure how fast ``/health`` answers while a server computes an analysis.

    python benchmarks/health_during_analysis.py http://127.0.0.1:8000 LOG_ID [--token TOKEN]
        [--path analysis] [--interval 0.05] [--timeout 1800]

It asks ``GET /api/event-logs/LOG_ID/<path>`` (repeating it while the answer is 202, as
the web UI does), and meanwhile ``GET /health`` every ``interval`` seconds from another
thread, until the analysis answers something else than 202. It prints one line of JSON:
the analysis' status and seconds, and the count, median, 95th percentile and maximum of
the /health latencies in milliseconds, with how many took longer than 100 ms. Use a log
whose analysis is not cached yet (import it anew, or ask with a filter not used before).
Only the standard library is used, so it runs against any Handoff server.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from typing import Any


def _get(url: str, token: str | None, timeout: float) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, dict(error.headers)


def measure(
    base: str,
    log_id: int,
    *,
    token: str | None = None,
    path: str = "analysis",
    interval: float = 0.05,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Run the measurement; returns the figures printed by the command."""
    base = base.rstrip("/")
    latencies: list[float] = []
    failures = 0
    done = threading.Event()

    def poll_health() -> None:
        nonlocal failures
        while not done.is_set():
            started = time.perf_counter()
            try:
                status, _ = _get(f"{base}/health", None, 10)
                if status != 200:
                    failures += 1
            except OSError:
                failures += 1
            latencies.append((time.perf_counter() - started) * 1000)
            done.wait(interval)

    poller = threading.Thread(target=poll_health, daemon=True)
    poller.start()
    started = time.perf_counter()
    statuses: list[int] = []
    while True:
        status, headers = _get(f"{base}/api/event-logs/{log_id}/{path}", token, timeout)
        statuses.append(status)
        if status != 202 or time.perf_counter() - started > timeout:
            break
        time.sleep(min(float(headers.get("Retry-After", "1")), 1.0))
    seconds = time.perf_counter() - started
    done.set()
    poller.join()
    ordered = sorted(latencies)
    return {
        "analysis_status": status,
        "answers_202": statuses.count(202),
        "analysis_s": round(seconds, 2),
        "health_requests": len(ordered),
        "health_failures": failures,
        "health_ms_median": round(statistics.median(ordered), 1) if ordered else None,
        "health_ms_p95": round(ordered[int(len(ordered) * 0.95) - 1], 1) if ordered else None,
        "health_ms_max": round(ordered[-1], 1) if ordered else None,
        "health_over_100ms": sum(1 for v in ordered if v > 100),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("log_id", type=int)
    parser.add_argument("--token", help="an API token (handoff tokens add ...)")
    parser.add_argument("--path", default="analysis", help="the analysis endpoint to ask")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between /health")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    figures = measure(
        args.base,
        args.log_id,
        token=args.token,
        path=args.path,
        interval=args.interval,
        timeout=args.timeout,
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
