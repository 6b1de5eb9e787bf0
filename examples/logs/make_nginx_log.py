"""Write a large nginx access log (combined + $request_time $upstream_response_time) to try `ingest-logs`.

    .venv/bin/python examples/logs/make_nginx_log.py 1000000 /tmp/access.log
    time .venv/bin/warroom ingest-logs /tmp/access.log --format nginx \\
        --mapping examples/logs/services.yaml --host gw-01

One sale hour from 11 Nov 00:00 (+0800), requests evenly spread; ids in paths, query strings, IPv6
clients and user agents with escaped quotes, as real gateways log them. Deterministic (seeded).
"""

import random
import sys

PATHS = (
    "/api/item/{n}?spm=a1z10.{n}",
    "/api/cart",
    "/api/order",
    "/api/order/{n}",
    "/api/pay/{n}/confirm",
    "/api/user/{n}/address",
    "/static/app.3f9a1c.js",
)
AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
    "okhttp/4.9.3",
    r"Mozilla/5.0 (Linux; Android 14) \x22TmallApp\x22/13.2",
)
STATUSES = (200,) * 17 + (304, 404, 502)


def main(lines: int, out: str) -> None:
    rng = random.Random(11)
    with open(out, "w") as f:
        for i in range(lines):
            second = i * 3600 // lines
            when = f"11/Nov/2026:00:{second // 60:02d}:{second % 60:02d} +0800"
            client = f"2001:db8::{i % 4096:x}" if i % 10 == 0 else f"10.{i % 200}.{i % 97}.{i % 251}"
            path = rng.choice(PATHS).format(n=rng.randrange(1, 10**8))
            method = "POST" if path.startswith(("/api/order", "/api/pay")) else "GET"
            seconds = rng.expovariate(1 / 0.04)
            f.write(
                f'{client} - - [{when}] "{method} {path} HTTP/1.1" {rng.choice(STATUSES)} {rng.randrange(50000)} '
                f'"-" "{rng.choice(AGENTS)}" {seconds:.3f} {seconds * 0.9:.3f}\n'
            )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
