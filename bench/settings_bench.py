"""Production settings plus what the benchmark needs, and nothing else.

- ROOT_URLCONF adds `/bench/bare/`, the baseline: a bare Django view behind the same
  middleware, server and workers as the resident pages.
- The status-lookup rate limit (20 attempts per 600 s per client address in production) is
  raised so far that it never trips. The limiter still runs on every lookup — its counter in the
  database, counted in the same statement that reads the dossier and the code's lockout
  (motcua.portal.selectors.resident_lookup) — so its cost is measured.
- The server trusts X-Forwarded-For as it would behind the documented nginx (one proxy), and
  bench/lookup.lua sends one of BENCH_CLIENTS client addresses per request, so the counters are
  spread over rows as a real ward's residents spread them (one address sending 1,500 lookups a
  second would be one hot row no real client can produce: it is limited after 20).
"""

from motcua.config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
MOTCUA_LOOKUP_RATE = "100000000/60"
MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
MOTCUA_TRUSTED_PROXY_COUNT = 1
