"""From scored pairs to persons, engine-neutral: the conflict guard and the person numbering.

An engine gives the connected components of the pairs at the threshold (reviewers' decisions
applied) and, for the clusters that may hold a conflict, their members and edges; ``guard_split``
rebuilds those clusters so that no conflicting pair ends up together, ``number_persons`` names the
persons. ``cluster_edges`` does the whole of it in Python from stored edges (no engine, no
rerun): what applying reviewers' decisions to a finished merge needs. Both give the same persons
for the same edges (``test_linkage``'s parity test).

A *conflict* (``conflict``): two CCCDs (or CMNDs) more than one digit apart, two day-precision
birth dates differing in two or more of day/month/year and not a swap (unless the two records
share an ID), or a pair a reviewer rejected. A cluster holding one is rebuilt greedily
(``constrained_components``): its edges strongest first, each joining two groups only if no
conflicting pair ends up together. Without conflicts this is exactly the connected components.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

# The columns of a record the guard reads (``LinkResult.guard``).
GUARD_COLUMNS = ("record_id", "citizen_id_nz", "cmnd", "birth_date", "dob_swapped")


def guard_split(
    components: pa.Table, members: pa.Table, edges: pa.Table, labels: Sequence[tuple[str, str, bool]]
) -> tuple[pa.Table, dict[str, Any]]:
    """Persons from ``components`` (record_id, cluster_id), the suspect clusters' ``members``
    (cluster_id and ``GUARD_COLUMNS``) rebuilt along their ``edges`` (a, b, p)."""
    cluster_of: dict[str, Any] = dict(
        zip(
            components.column("record_id").to_pylist(),
            components.column("cluster_id").to_pylist(),
            strict=True,
        )
    )
    verdict = {(a, b): m for a, b, m in labels}
    by_cluster: dict[Any, list[dict[str, Any]]] = {}
    for row in members.to_pylist():
        by_cluster.setdefault(row["cluster_id"], []).append(row)
    edges_by_cluster: dict[Any, list[tuple[float, str, str]]] = {}
    for a, b, p in zip(
        edges.column("a").to_pylist(),
        edges.column("b").to_pylist(),
        edges.column("p").to_pylist(),
        strict=True,
    ):
        # Each edge as (low id, high id): the greedy order breaks ties on the ids, and an engine
        # gives a pair in either orientation.
        edges_by_cluster.setdefault(cluster_of[a], []).append((p, min(a, b), max(a, b)))
    split_clusters = 0
    extra_groups = 0
    for cid, recs in by_cluster.items():
        groups = constrained_components(recs, edges_by_cluster.get(cid, []), verdict)
        if len(groups) > 1:
            split_clusters += 1
            extra_groups += len(groups) - 1
            for k, group in enumerate(groups):
                for rid in group:
                    cluster_of[rid] = (cid, k)
    guard = {
        "suspect_clusters": len(by_cluster),
        "split_clusters": split_clusters,
        "persons_added_by_split": extra_groups,
    }
    return number_persons(cluster_of), guard


def number_persons(cluster_of: dict[str, Any]) -> pa.Table:
    """record_id, person_id: persons numbered in the order of each one's smallest record_id
    (stable, readable: P000001 …)."""
    first: dict[Any, str] = {}
    for rid, cid in cluster_of.items():
        if cid not in first or rid < first[cid]:
            first[cid] = rid
    order = {cid: i for i, (_, cid) in enumerate(sorted((rid, cid) for cid, rid in first.items()))}
    width = max(6, len(str(len(order))))
    record_ids = sorted(cluster_of)
    return pa.table(
        {
            "record_id": pa.array(record_ids, pa.string()),
            "person_id": pa.array(
                [f"P{order[cluster_of[r]] + 1:0{width}d}" for r in record_ids], pa.string()
            ),
        }
    )


def cluster_edges(
    records: pa.Table,
    edges: pa.Table,
    *,
    threshold: float,
    labels: Iterable[tuple[str, str, bool]] = (),
) -> tuple[pa.Table, dict[str, Any]]:
    """Persons from stored edges, in Python: ``records`` has ``GUARD_COLUMNS`` (one row per
    record), ``edges`` record_id_l, record_id_r, match_probability (every scored pair the run
    kept, at least those >= threshold). Reviewers' ``labels`` act as in the run: an accepted pair
    is an edge of probability 1, a rejected one is no edge and never in one person."""
    verdict: dict[tuple[str, str], bool] = {}
    for a, b, m in labels:
        x, y = sorted((str(a), str(b)))
        if x != y:
            verdict[(x, y)] = bool(m)
    rows = {r["record_id"]: r for r in records.select(list(GUARD_COLUMNS)).to_pylist()}
    kept: list[tuple[float, str, str]] = []
    for a, b, p in zip(
        edges.column("record_id_l").to_pylist(),
        edges.column("record_id_r").to_pylist(),
        edges.column("match_probability").to_pylist(),
        strict=True,
    ):
        x, y = (a, b) if a < b else (b, a)
        if (x, y) in verdict or p is None or p < threshold:
            continue
        if x in rows and y in rows:
            kept.append((float(p), x, y))
    kept.extend((1.0, x, y) for (x, y), m in verdict.items() if m and x in rows and y in rows)

    parent = {rid: rid for rid in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _p, a, b in kept:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    component = {rid: find(rid) for rid in rows}
    groups: dict[str, list[str]] = {}
    for rid, root in component.items():
        groups.setdefault(root, []).append(rid)

    def suspect(ids: list[str]) -> bool:
        if len(ids) < 2:
            return False
        for column in ("citizen_id_nz", "cmnd", "birth_date"):
            if len({rows[r][column] for r in ids if rows[r][column] is not None}) > 1:
                return True
        return False

    rejected_in = {
        component[x]
        for (x, y), m in verdict.items()
        if not m and x in rows and y in rows and component[x] == component[y]
    }
    suspects = {root for root, ids in groups.items() if root in rejected_in or suspect(ids)}
    member_rows = [
        {"cluster_id": root, **rows[rid]} for root in sorted(suspects) for rid in sorted(groups[root])
    ]
    suspect_edges = [(a, b, p) for p, a, b in kept if component[a] in suspects]
    components = pa.table(
        {
            "record_id": pa.array(list(component), pa.string()),
            "cluster_id": pa.array(list(component.values()), pa.string()),
        }
    )
    members = pa.Table.from_pylist(
        member_rows,
        schema=pa.schema([("cluster_id", pa.string())] + [(c, pa.string()) for c in GUARD_COLUMNS]),
    )
    edge_table = pa.table(
        {
            "a": pa.array([e[0] for e in suspect_edges], pa.string()),
            "b": pa.array([e[1] for e in suspect_edges], pa.string()),
            "p": pa.array([e[2] for e in suspect_edges], pa.float64()),
        }
    )
    return guard_split(components, members, edge_table, sorted((x, y, m) for (x, y), m in verdict.items()))


def constrained_components(
    records: list[dict[str, Any]], edges: list[tuple[float, str, str]], verdict: dict[tuple[str, str], bool]
) -> list[list[str]]:
    """Greedy merge of ``records`` along ``edges`` (strongest first) never joining two groups
    that hold a conflicting pair. Without conflicts: the connected components."""
    by_id = {r["record_id"]: r for r in records}
    parent = {rid: rid for rid in by_id}
    members = {rid: [rid] for rid in by_id}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _p, a, b in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if any(conflict(by_id[x], by_id[y], verdict) for x in members[ra] for y in members[rb]):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    return sorted((sorted(m) for m in members.values()), key=lambda g: g[0])


def conflict(x: dict[str, Any], y: dict[str, Any], verdict: dict[tuple[str, str], bool]) -> bool:
    """Two records that cannot be one person (a reviewer's decision overrides)."""
    key = (
        (x["record_id"], y["record_id"])
        if x["record_id"] < y["record_id"]
        else (y["record_id"], x["record_id"])
    )
    if key in verdict:
        return not verdict[key]
    cx, cy = x["citizen_id_nz"], y["citizen_id_nz"]
    if (cx and cx == cy) or (x["cmnd"] and x["cmnd"] == y["cmnd"]):
        return False
    if cx and cy and not damerau_at_most_one(cx, cy):
        return True
    mx, my = x["cmnd"], y["cmnd"]
    if mx and my and not damerau_at_most_one(mx, my):
        return True
    dx, dy = x["birth_date"], y["birth_date"]
    if dx and dy and dx != dy and dx != y["dob_swapped"] and dy != x["dob_swapped"]:
        differing = sum(a != b for a, b in zip(dx.split("-"), dy.split("-"), strict=False))
        return differing >= 2
    return False


def damerau_at_most_one(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are equal or one edit apart (substitution, insertion, deletion,
    adjacent transposition)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]
