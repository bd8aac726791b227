"""Production settings plus what the benchmark needs, and nothing else.

- ROOT_URLCONF adds `/bench/bare/`, the baseline: a bare Django view behind the same
  middleware, server and workers as the resident pages.
- The status-lookup rate limit (20 attempts per 600 s per client address in production) is
  raised so far that it never trips: every request of the load generator comes from 127.0.0.1.
  The limiter still runs on every lookup (cache add + incr), so its cost is measured.
"""

from motcua.config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
MOTCUA_LOOKUP_RATE = "100000000/60"
