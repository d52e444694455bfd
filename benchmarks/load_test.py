#!/usr/bin/env python
"""Load test: many visitors asking for custom-dialogue summaries at once, against a local app.

Launches `app.py` on 127.0.0.1 (offline preset unless RLHF_PRESET says otherwise), fires
--requests concurrent calls to its `/summarize_dialogue` endpoint from --clients gradio_client
sessions, and prints p50/p95/max latency and the number of failures. Bounded: every request
has a timeout, and the script stops by itself.

    HF_HUB_OFFLINE=1 python benchmarks/load_test.py --requests 50 --clients 50
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIALOGUE = ("#Person1#: Hi, I'd like to return this jacket, it's too small.\n"
            "#Person2#: Do you have the receipt?\n#Person1#: Yes, here it is.\n"
            "#Person2#: Fine. I'll refund it to your card.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--clients", type=int, default=50, help="concurrent client sessions")
    p.add_argument("--timeout", type=float, default=300, help="seconds each request may take")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from gradio_client import Client

    import app
    from webapp.startup import startup

    preset = startup().preset

    port = free_port()
    demo = app.build_app()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    clients = [Client(url, verbose=False) for _ in range(min(args.clients, args.requests))]

    def one(i: int):
        started = time.perf_counter()
        try:
            job = clients[i % len(clients)].submit(f"{DIALOGUE}\n#Person1#: Request {i}.", None,
                                                   api_name="/summarize_dialogue")
            job.result(timeout=args.timeout)
            return time.perf_counter() - started, None
        except Exception as error:  # a failure is a result here, counted and shown
            return time.perf_counter() - started, f"{type(error).__name__}: {error}"

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(one, range(args.requests)))
    wall = time.perf_counter() - t0
    demo.close()

    latencies = sorted(r[0] for r in results if r[1] is None)
    failures = [r[1] for r in results if r[1] is not None]
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else latencies * 19
    report = {
        "requests": args.requests, "clients": len(clients), "failures": len(failures),
        "p50_s": statistics.median(latencies) if latencies else None,
        "p95_s": quantiles[18] if latencies else None, "max_s": latencies[-1] if latencies else None,
        "wall_s": wall, "throughput_per_s": len(latencies) / wall,
        "preset": preset,
    }
    print(f"{args.requests} requests from {len(clients)} clients: {len(failures)} failed; latency p50 "
          f"{report['p50_s']:.2f}s, p95 {report['p95_s']:.2f}s, max {report['max_s']:.2f}s; {wall:.1f}s wall "
          f"(preset {preset})")
    for failure in failures[:5]:
        print("  failure:", failure)
    print(json.dumps(report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
