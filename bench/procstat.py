"""CPU and memory of the benchmark's processes, read from /proc (Linux only).

    python3 bench/procstat.py cpu MASTER_PID PREFIX PG_PID -> one line of CPU seconds so far
    python3 bench/procstat.py mem MASTER_PID SECONDS       -> samples every 0.25 s, prints the peaks

Groups: `server` = the gunicorn master and its workers, `postgres` = the benchmark's own
postmaster and its backends (not another PostgreSQL running on the machine), each including
the children that already exited; `total` = the whole machine (busy time of all cores, from
/proc/stat).
Memory: RSS counts pages shared between workers once per worker (an upper bound); PSS shares
them out (the honest sum).
"""

from __future__ import annotations

import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, int, float] | None:
    raw = _read(f"/proc/{pid}/stat")
    if not raw:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    # utime + stime, plus cutime + cstime: the children it has reaped (exited workers, backends)
    cpu = sum(int(x) for x in fields[11:15]) / TICK
    return comm, ppid, cpu


def _procs() -> dict[int, tuple[str, int, float]]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                out[int(name)] = st
    return out


def server_pids(master: int, procs: dict[int, tuple[str, int, float]]) -> list[int]:
    return [master] + [pid for pid, (_, ppid, _) in procs.items() if ppid == master]


def cpu(master: int, prefix: str, postmaster: int) -> None:
    procs = _procs()
    server = sum(procs[p][2] for p in server_pids(master, procs) if p in procs)
    pg = sum(procs[p][2] for p in server_pids(postmaster, procs) if p in procs)
    first = _read("/proc/stat").splitlines()[0].split()[1:]
    ticks = [int(x) for x in first]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / TICK  # minus idle and iowait
    print(f"{prefix}server={server:.2f} {prefix}postgres={pg:.2f} {prefix}total={busy:.2f}")


def _kb(status: str, key: str) -> int:
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def mem(master: int, seconds: float) -> None:
    peak_rss = peak_pss = peak_worker = 0
    hwm = 0
    workers = 0
    end = time.monotonic() + seconds
    while True:
        procs = _procs()
        pids = server_pids(master, procs)
        rss = pss = 0
        hwm = 0
        for pid in pids:
            status = _read(f"/proc/{pid}/status")
            r = _kb(status, "VmRSS")
            rss += r
            hwm += _kb(status, "VmHWM")
            pss += _kb(_read(f"/proc/{pid}/smaps_rollup"), "Pss")
            if pid != master:
                peak_worker = max(peak_worker, r)
        workers = len(pids) - 1
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        if time.monotonic() >= end:
            break
        time.sleep(0.25)
    mb = 1024
    print(
        f"workers={workers} peak_rss_sum_mb={peak_rss / mb:.0f} peak_pss_sum_mb={peak_pss / mb:.0f}"
        f" peak_worker_rss_mb={peak_worker / mb:.0f} hwm_sum_mb={hwm / mb:.0f}"
    )


if __name__ == "__main__":
    what, master = sys.argv[1], int(sys.argv[2])
    if what == "cpu":
        cpu(master, sys.argv[3], int(sys.argv[4]))
    else:
        mem(master, float(sys.argv[3]))
