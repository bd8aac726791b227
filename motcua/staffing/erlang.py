"""Queueing formulas for the staffing advisor (issue 11 §4, §8): Erlang C (M/M/n) and Erlang A
(M/M/n+M, residents who leave when their patience runs out). Pure functions, no Django.

Units at the interface are the ones a leader speaks in: arrivals per hour, service minutes,
patience minutes, a target wait in seconds; inside, everything is in minutes.

Symbols: λ arrivals per minute, S mean service minutes (μ = 1/S), n agents (open counters),
a = λ·S the offered load in erlangs, T the target wait, θ = 1/patience.

Numerical stability: Erlang B comes from its recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))
(no factorials, no powers: fine at 200 or 10 000 agents), Erlang C from B:
C = n·B / (n − a·(1 − B)). Erlang A's series is summed in logarithms (its terms reach e^{1000}
when residents are patient and the hall is overloaded).

Unstable: with a ≥ n and no abandonment the queue grows without end; then C = 1, the service
level is 0 and the mean wait is infinite (math.inf) — said, not hidden behind an exception.
"""

import math
from dataclasses import dataclass

# Beyond these a value is a typing mistake, not a commune: a ward's hall takes at most a few
# hundred residents an hour; a service or a patience longer than a day means nothing here.
MAX_ARRIVALS_PER_HOUR = 10_000.0
MAX_SERVICE_MINUTES = 1_440.0
MAX_PATIENCE_MINUTES = 1_440.0
MAX_TARGET_WAIT_SECONDS = 86_400.0
MAX_AGENTS = 10_000

# A term of a series below e^{-50} of its largest term changes no printed digit.
_NEGLIGIBLE_LOG = -50.0


@dataclass(frozen=True)
class ErlangAResult:
    """Erlang A at a given number of agents.

    service_level: the share of ALL residents who came that are called within T (a resident who
    leaves before being called counts as not called — issue 11's "80 % of residents called within
    15 minutes"); average_wait_seconds: the mean time residents spend waiting (those who leave
    count the time they stayed); abandon_rate: the share who leave before being called; p_wait:
    the share who find every counter busy; offered_within_target: P(offered wait ≤ T), the share
    who WOULD be called within T had they stayed (leavers whose turn would have come in time count
    as called) — an upper bound of service_level, reported for comparison only."""

    service_level: float
    average_wait_seconds: float
    abandon_rate: float
    p_wait: float
    offered_within_target: float


@dataclass(frozen=True)
class Staffing:
    """The fewest agents that meet a target, and the figures at that number (abandon_rate is
    None for Erlang C, where nobody leaves)."""

    agents: int
    service_level: float
    average_wait_seconds: float
    abandon_rate: float | None


def _number(value: object, name: str, *, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if number < low or (low_open and number == low):
        raise ValueError(f"{name} must be {'>' if low_open else '≥'} {low:g}, not {value!r}")
    if number > high:
        raise ValueError(f"{name} must be ≤ {high:g}, not {value!r}")
    return number


def _agents(value: object, name: str = "agents") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if value < 0 or value > MAX_AGENTS:
        raise ValueError(f"{name} must be between 0 and {MAX_AGENTS}, not {value!r}")
    return value


def _inputs(arrivals_per_hour: object, service_minutes: object) -> tuple[float, float]:
    arrivals = _number(arrivals_per_hour, "arrivals_per_hour", low=0.0, high=MAX_ARRIVALS_PER_HOUR)
    service = _number(service_minutes, "service_minutes", low=0.0, high=MAX_SERVICE_MINUTES, low_open=True)
    return arrivals / 60.0, service


def _target_minutes(target_wait_seconds: object) -> float:
    return _number(target_wait_seconds, "target_wait_seconds", low=0.0, high=MAX_TARGET_WAIT_SECONDS) / 60.0


def erlang_b(*, agents: int, offered_load: float) -> float:
    """Blocking probability of M/M/n/n, by the recursion (stable for any n)."""
    n = _agents(agents)
    a = _number(offered_load, "offered_load", low=0.0, high=MAX_ARRIVALS_PER_HOUR * MAX_SERVICE_MINUTES / 60)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(*, agents: int, offered_load: float) -> float:
    """Probability that an arriving resident waits in M/M/n: C = n·B / (n − a·(1 − B)).

    1.0 when a ≥ n (unstable: everyone waits, eventually for ever); 0.0 when a = 0."""
    n = _agents(agents)
    b = erlang_b(agents=n, offered_load=offered_load)
    a = float(offered_load)
    if a == 0.0:
        return 0.0
    if a >= n:
        return 1.0
    return min(1.0, n * b / (n - a * (1.0 - b)))


def service_level(
    *, arrivals_per_hour: float, service_minutes: float, agents: int, target_wait_seconds: float
) -> float:
    """Erlang C: P(wait ≤ T) = 1 − C·e^{−(n − a)·T/S}; 0.0 when unstable (a ≥ n), 1.0 with no
    arrivals."""
    lam, s = _inputs(arrivals_per_hour, service_minutes)
    n = _agents(agents)
    t = _target_minutes(target_wait_seconds)
    a = lam * s
    if a == 0.0:
        return 1.0
    if a >= n:
        return 0.0
    c = erlang_c(agents=n, offered_load=a)
    return min(1.0, max(0.0, 1.0 - c * math.exp(-(n - a) * t / s)))


# agents_needed's keyword `service_level` (the target) hides the function inside it.
_erlang_c_level = service_level


def average_wait_seconds(*, arrivals_per_hour: float, service_minutes: float, agents: int) -> float:
    """Erlang C: the mean wait over all residents (ASA) = C·S / (n − a), in seconds; math.inf
    when unstable (a ≥ n), 0.0 with no arrivals."""
    lam, s = _inputs(arrivals_per_hour, service_minutes)
    n = _agents(agents)
    a = lam * s
    if a == 0.0:
        return 0.0
    if a >= n:
        return math.inf
    return erlang_c(agents=n, offered_load=a) * s / (n - a) * 60.0


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    if top == -math.inf:
        return -math.inf
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def erlang_a(
    *,
    arrivals_per_hour: float,
    service_minutes: float,
    patience_minutes: float,
    agents: int,
    target_wait_seconds: float,
) -> ErlangAResult:
    """Erlang A (M/M/n+M): Poisson arrivals λ, exponential services (rate μ = 1/S) at n counters,
    and each waiting resident leaves after an exponential patience (rate θ = 1/P) unless called.

    The number in the hall is a birth–death chain: births λ; deaths kμ for k ≤ n and
    nμ + (k − n)θ above n. With q_j = π_{n+j}/π_n:

        q_0 = 1,   q_j = q_{j−1} · λ / (nμ + jθ),   R = Σ_{j≥1} q_j   (summed until negligible)

    and, from Erlang B (B = π_n / Σ_{k≤n} π_k), the chain's normalisation gives
    π_n = B / (1 + B·R). Then, by PASTA (arrivals see the time averages):

        p_wait    = P(k ≥ n) = π_n · (1 + R)
        E[Q]      = π_n · Σ_j j·q_j                      (mean number waiting)
        E[W]      = E[Q] / λ                              (Little: mean time spent waiting, all residents)
        P(Ab)     = θ·E[Q] / λ = θ·E[W]                   (leavers per arrival)

    The service level is the share of all arrivals called within T: a resident who finds j
    people waiting is called once j + 1 stages are through, stage i (i = j, …, 0 ahead) ending at
    rate nμ + iθ (a counter frees, or someone ahead leaves), unless their own patience (rate θ)
    runs out first. Counting the resident's own exit, stage i ends at rate nμ + (i + 1)θ, so the
    time to the call or the exit is a sum of exponentials with equally spaced rates, whose
    distribution is a regularised incomplete beta function (partial fractions, then
    y = 1 − e^{−θt}), and the call (not the exit) wins with probability nμ/(nμ + (j + 1)θ):

        P(called ≤ T | j ahead) = nμ/(nμ + (j + 1)θ) · I_x(j + 1, nμ/θ + 1),   x = 1 − e^{−θT}
        service_level           = (1 − p_wait) + Σ_j π_{n+j} · P(called ≤ T | j ahead)

    (It agrees with pyworkforce's published Erlang A figures and with the simulation's share
    called within T.) A resident who leaves counts as not called — whatever the reason they left
    — so the level never exceeds 1 − abandon_rate and cannot be met by a hall everybody leaves.

    offered_within_target is P(V ≤ T), V the *offered* wait (how long until the resident would be
    called had they stayed): I_x(j + 1, nμ/θ) in place of the bracket above. It counts a resident
    who left but whose turn would have come within T as served in time, so with short patience it
    plus the abandon rate exceeds 100 %; it is kept only for comparison (`simulation.py` measures
    it too), never as the target.

    Numerically, log(1 − x) = −θT is passed, not x: x rounds to 1.0 for θT ≳ 37, while
    (1 − x)^b = e^{−bθT} is not small when residents are impatient (b = nμ/θ small).
    """
    lam, s = _inputs(arrivals_per_hour, service_minutes)
    patience = _number(
        patience_minutes, "patience_minutes", low=0.0, high=MAX_PATIENCE_MINUTES, low_open=True
    )
    n = _agents(agents)
    t = _target_minutes(target_wait_seconds)
    if lam == 0.0:
        return ErlangAResult(1.0, 0.0, 0.0, 0.0, 1.0)
    mu, theta = 1.0 / s, 1.0 / patience
    b = erlang_b(agents=n, offered_load=lam * s)
    if b == 0.0:  # the load is so far below n that nobody ever waits (B underflowed)
        return ErlangAResult(1.0, 0.0, 0.0, 0.0, 1.0)
    # log q_j, j = 0, 1, … until past the peak and negligible (ratio < 1 from then on).
    log_q = [0.0]
    peak = 0.0
    j = 0
    while True:
        j += 1
        ratio = lam / (n * mu + j * theta)
        current = log_q[-1] + math.log(ratio)
        log_q.append(current)
        peak = max(peak, current)
        if ratio < 1.0 and current - math.log1p(-ratio) - peak < _NEGLIGIBLE_LOG:
            break
    log_total = _logsumexp(log_q)  # log(1 + R)
    # π_n = B / (1 − B + B·(1 + R)), in logarithms.
    log_pi_n = math.log(b) - _logsumexp([math.log1p(-b) if b < 1.0 else -math.inf, math.log(b) + log_total])
    weights = [math.exp(log_pi_n + lq) for lq in log_q]  # π_{n+j}
    p_wait = min(1.0, math.fsum(weights))
    queue = math.fsum(jj * w for jj, w in enumerate(weights))
    wait = queue / lam
    abandon = min(1.0, theta * wait)
    if n == 0:
        offered = strict = 1.0 - p_wait  # nobody is ever called
    else:
        log_1mx = -theta * t  # log(1 − x), x = 1 − e^{−θT}: exact even when x rounds to 1
        offered_part = _beta_series(weights, log_1mx, n * mu / theta)
        strict_part = math.fsum(
            w * (n * mu / (n * mu + (jj + 1) * theta)) * i
            for jj, (w, i) in enumerate(
                zip(weights, _incomplete_betas(len(weights), log_1mx, n * mu / theta + 1.0), strict=True)
            )
        )
        offered = (1.0 - p_wait) + offered_part
        strict = (1.0 - p_wait) + strict_part
    return ErlangAResult(
        service_level=min(1.0, max(0.0, strict)),
        average_wait_seconds=wait * 60.0,
        abandon_rate=max(0.0, abandon),
        p_wait=p_wait,
        offered_within_target=min(1.0, max(0.0, offered)),
    )


def _incomplete_betas(count: int, log_1mx: float, b: float) -> list[float]:
    """I_x(m, b) for m = 1 … count, given log(1 − x) (≤ 0), by I_x(1, b) = 1 − (1 − x)^b and
    I_x(m + 1, b) = I_x(m, b) − t_m, t_m = x^m (1 − x)^b / (m·B(m, b)), t_{m+1} = t_m·x(m + b)/(m + 1)
    (t_m kept in logarithms so that (1 − x)^b may underflow without losing the later terms).

    log(1 − x) is the argument, not x: for θT ≳ 37 x = 1 − e^{−θT} rounds to 1.0 while
    (1 − x)^b = e^{−bθT} is still far from 0 when b = nμ/θ is small (impatient residents)."""
    if log_1mx >= 0.0:  # x = 0: a target of no wait at all
        return [0.0] * count
    x = -math.expm1(log_1mx)
    log_x = math.log(x)
    values = []
    current = -math.expm1(b * log_1mx)
    log_t = math.log(b) + log_x + b * log_1mx
    for m in range(1, count + 1):
        values.append(min(1.0, max(0.0, current)))
        current -= math.exp(log_t)
        log_t += log_x + math.log((m + b) / (m + 1))
    return values


def _beta_series(weights: list[float], log_1mx: float, b: float) -> float:
    return math.fsum(w * i for w, i in zip(weights, _incomplete_betas(len(weights), log_1mx, b), strict=True))


def _level(value: object) -> float:
    return _number(value, "service_level", low=0.0, high=1.0, low_open=True)


def agents_needed(
    *,
    arrivals_per_hour: float,
    service_minutes: float,
    target_wait_seconds: float,
    service_level: float,
    patience_minutes: float | None = None,
    max_agents: int = 500,
) -> Staffing:
    """The fewest agents whose service level (Erlang C, or Erlang A when a patience is given) is
    at least `service_level` (a share, 0 < L < 1), with the figures at that number: 0 agents
    when nobody arrives, at least 1 otherwise. ValueError when even `max_agents` is not enough
    or the target is out of reach (L = 1 is reached by no finite number when T < ∞)."""
    lam, s = _inputs(arrivals_per_hour, service_minutes)
    _target_minutes(target_wait_seconds)
    level = _level(service_level)
    if level >= 1.0:
        raise ValueError(
            "service_level must be below 1: no number of agents calls every resident within a wait"
        )
    limit = _agents(max_agents, "max_agents")
    if patience_minutes is not None:
        _number(patience_minutes, "patience_minutes", low=0.0, high=MAX_PATIENCE_MINUTES, low_open=True)
    if lam == 0.0:
        return Staffing(0, 1.0, 0.0, None if patience_minutes is None else 0.0)

    def at(n: int) -> Staffing:
        if patience_minutes is None:
            return Staffing(
                n,
                _erlang_c_level(arrivals_per_hour=arrivals_per_hour, service_minutes=s, agents=n,
                              target_wait_seconds=target_wait_seconds),
                average_wait_seconds(arrivals_per_hour=arrivals_per_hour, service_minutes=s, agents=n),
                None,
            )  # fmt: skip
        result = erlang_a(
            arrivals_per_hour=arrivals_per_hour, service_minutes=s, patience_minutes=patience_minutes,
            agents=n, target_wait_seconds=target_wait_seconds,
        )  # fmt: skip
        return Staffing(n, result.service_level, result.average_wait_seconds, result.abandon_rate)

    # The level never falls as agents are added, so a bisection finds the first that meets it.
    if limit < 1 or at(limit).service_level < level:
        raise ValueError(f"{limit} agents do not reach a service level of {level:g}")
    # below the load Erlang C's level is 0; Erlang A's is 0 only at no agent at all
    low = max(0, math.floor(lam * s)) if patience_minutes is None else 0
    high = limit
    # invariant: at(high) meets the level; low does not (or is 0)
    while high - low > 1:
        middle = (low + high) // 2
        if at(middle).service_level >= level:
            high = middle
        else:
            low = middle
    return at(max(1, high))
