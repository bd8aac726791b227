"""Applying reviewers' decisions without a rerun: ``recluster.recluster_run`` on a real run's
folder (``runner._run`` on the two small registers of tests/data, no database)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from motcua.core.errors import Conflict
from motcua.registers import national_export, recluster, runner
from motcua.registers.io import Limits
from motcua.registers.storage import RESULT_NAME, WORKBOOK_NAME

from .files import DATA

NOW = dt.datetime(2025, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("recluster") / "run-1"
    spec = {
        "paths": [str(DATA / "chinh_gian.csv"), str(DATA / "tam_thuan.csv")],
        "labels": [],
        "limits": asdict(Limits()),
        "out_dir": str(folder),
        "title": "Dân cư Chính Gián và Tam Thuận",
        "commune": "Phường Thanh Khê",
        "run_no": 1,
        "now": NOW.isoformat(),
        "generated_at": "2025-11-30T09:00:00",
        "original_names": {},
        "unit_names": {},
        "decisions": [],
    }
    runner._run(spec, lambda step, fraction: None)
    return folder


@pytest.fixture
def run(finished_run, tmp_path) -> Path:
    """A fresh copy of the finished run for each test (recluster rewrites it in place). A copy's
    records.parquet is a new file (a new inode): the run's national export is renamed after it,
    as the run would have named it."""
    folder = Path(shutil.copytree(finished_run, tmp_path / "run-1"))
    for fmt in national_export.FORMATS:
        (made,) = folder.glob(f"dan-cu-*.{fmt}")
        made.rename(national_export._run_export_path(folder, fmt))
    return folder


def apply(folder: Path, labels: list[tuple[str, str, bool]]) -> recluster.Reclustered:
    return recluster.recluster_run(
        folder=folder,
        labels=labels,
        title="Dân cư Chính Gián và Tam Thuận",
        commune="Phường Thanh Khê",
        run_no=1,
        generated_at=dt.datetime(2025, 11, 30, 9, 30),
        decisions=[
            {
                "decided_at": "30/11/2025 09:20",
                "decided_by": "Cán bộ dữ liệu",
                "record_id_l": a,
                "record_id_r": b,
                "verdict": "Cùng một người" if m else "Hai người khác nhau",
                "reason": "Đã xác minh với tổ dân phố",
            }
            for a, b, m in labels
        ],
        unit_names={},
        applied={"decisions": len(labels)},
    )


def parquet_persons(folder: Path) -> dict[str, str]:
    t = pq.read_table(folder / "records.parquet")
    return dict(zip(t.column("record_id").to_pylist(), t.column("person_id").to_pylist(), strict=True))


def workbook_persons(folder: Path) -> tuple[dict[str, str], int, list[tuple]]:
    wb = load_workbook(folder / WORKBOOK_NAME, read_only=True)
    rows = list(wb["Bản ghi gốc"].iter_rows(values_only=True))
    head = rows[0]
    persons = {r[head.index("Mã bản ghi")]: r[head.index("Mã người")] for r in rows[1:]}
    merged = len(list(wb["Danh sách hợp nhất"].iter_rows(values_only=True))) - 1
    audit = list(wb["Quyết định rà soát"].iter_rows(values_only=True))
    return persons, merged, audit


def result(folder: Path) -> dict:
    return json.loads((folder / RESULT_NAME).read_text(encoding="utf-8"))


def test_the_run_stores_what_reclustering_needs(run):
    edges = pq.read_table(run / recluster.EDGES_NAME)
    assert edges.column_names == list(recluster.EDGE_COLUMNS)
    assert edges.num_rows > 0
    assert min(edges.column("match_probability").to_pylist()) >= result(run)["stats"]["review_band"][0]
    guard = pq.read_table(run / recluster.GUARD_NAME)
    assert guard.num_rows == 20 and "citizen_id_nz" in guard.column_names
    assert pq.read_table(run / recluster.NORMALISED_NAME).num_rows == 20
    assert result(run)["stats"]["match_threshold"] == 0.7


def test_without_decisions_the_persons_are_the_runs(run):
    before = parquet_persons(run)
    out = apply(run, [])
    assert parquet_persons(run) == before
    assert out.persons == out.persons_before == result(run)["stats"]["persons"] == 12


def test_a_rejected_pair_splits_a_person(run):
    merged_pair = next(p for p in result(run)["review_pairs"] if p["same_person"])
    a, b = merged_pair["record_id_l"], merged_pair["record_id_r"]
    assert parquet_persons(run)[a] == parquet_persons(run)[b]

    assert recluster.files_ready(run)  # the run wrote its files
    out = apply(run, [(a, b, False)])

    assert out.persons == out.persons_before + 1 == 13
    persons = parquet_persons(run)
    assert persons[a] != persons[b]
    # The workbook is the background task's: still the run's until it has written it.
    assert not recluster.files_ready(run)
    assert workbook_persons(run)[0][a] == workbook_persons(run)[0][b]
    assert recluster.write_files(run, now=NOW) == out.generation == 1
    assert recluster.files_ready(run)
    assert recluster.write_files(run, now=NOW) is None  # idempotent: nothing left to write
    in_book, n_merged, audit = workbook_persons(run)
    assert in_book == persons and n_merged == 13
    assert audit[1][2:5] == (a, b, "Hai người khác nhau")
    stats = result(run)["stats"]
    assert stats["persons"] == 13 and stats["quality"]["persons"] == 13
    assert stats["applied"]["decisions"] == 1
    pair = next(p for p in result(run)["review_pairs"] if (p["record_id_l"], p["record_id_r"]) == (a, b))
    assert pair["same_person"] is False and out.same_person[(a, b)] is False
    # The rest of the run is untouched: the other persons stay whole.
    assert persons["CG-001"] == persons["TT-001"]


def test_an_accepted_pair_joins_two_persons(run):
    persons = parquet_persons(run)
    assert persons["CG-009"] != persons["TT-009"]

    out = apply(run, [("CG-009", "TT-009", True)])

    assert out.persons == 11
    persons = parquet_persons(run)
    assert persons["CG-009"] == persons["TT-009"]
    recluster.write_files(run, now=NOW)
    in_book, n_merged, _ = workbook_persons(run)
    assert in_book == persons and n_merged == 11
    assert result(run)["stats"]["persons"] == 11


def test_the_latest_labels_replace_the_last_application(run):
    pair = next(p for p in result(run)["review_pairs"] if p["same_person"])
    a, b = pair["record_id_l"], pair["record_id_r"]
    apply(run, [(a, b, False)])
    # A reviewer changes their mind: the pair is one person again (the stored edges are the run's).
    out = apply(run, [(a, b, True)])
    assert out.persons == 12
    assert parquet_persons(run)[a] == parquet_persons(run)[b]


@pytest.mark.parametrize("missing", [recluster.EDGES_NAME, recluster.GUARD_NAME, recluster.NORMALISED_NAME])
def test_a_run_without_its_edges_gets_a_clear_message(run, missing):
    (run / missing).unlink()
    workbook = (run / WORKBOOK_NAME).read_bytes()
    with pytest.raises(Conflict) as caught:
        apply(run, [("CG-009", "TT-009", True)])
    assert "Áp dụng quyết định và chạy lại" in caught.value.message
    assert (run / WORKBOOK_NAME).read_bytes() == workbook  # nothing rewritten
    assert not recluster.has_inputs(run)


def test_a_result_without_its_threshold_is_an_old_run(run):
    data = result(run)
    del data["stats"]["match_threshold"]
    (run / RESULT_NAME).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(Conflict):
        apply(run, [])


def national_persons(folder: Path) -> int:
    paths = national_export.existing_export(folder)
    assert paths["csv"] is not None and paths["xlsx"] is not None
    return len(paths["csv"].read_text(encoding="utf-8-sig").splitlines()) - 1


def test_the_run_leaves_the_national_export_ready(run):
    assert national_persons(run) == 12
    assert recluster.files_ready(run)


def test_the_task_rewrites_the_national_export_of_the_new_persons(run):
    merged_pair = next(p for p in result(run)["review_pairs"] if p["same_person"])
    apply(run, [(merged_pair["record_id_l"], merged_pair["record_id_r"], False)])
    # records.parquet changed: the run's export no longer names it, none is served.
    assert national_export.existing_export(run) == {"csv": None, "xlsx": None}
    recluster.write_files(run, now=NOW)
    assert national_persons(run) == 13
    assert len(list(run.glob("dan-cu-*"))) == 2  # the stale ones removed


def test_an_application_while_the_files_are_written_wins(run, monkeypatch):
    """A second application lands while the task writes the first one's files: the task starts
    again and the files are the newest state's."""
    merged = [p for p in result(run)["review_pairs"] if p["same_person"]]
    apply(run, [(merged[0]["record_id_l"], merged[0]["record_id_r"], False)])
    second = [(p["record_id_l"], p["record_id_r"], False) for p in merged[:2]]
    written = recluster._write_workbook
    calls = []

    def write_and_apply_again(folder, spec, stored):
        written(folder, spec, stored)
        calls.append(spec["generation"])
        if len(calls) == 1:
            apply(run, second)  # the officer applies again meanwhile

    monkeypatch.setattr(recluster, "_write_workbook", write_and_apply_again)
    assert recluster.write_files(run, now=NOW) == 2
    assert calls == [1, 2] and recluster.files_ready(run)
    in_book, n_merged, _ = workbook_persons(run)
    assert in_book == parquet_persons(run) and n_merged == result(run)["stats"]["persons"]
    assert national_persons(run) == n_merged


def test_a_run_from_before_has_its_files_ready_and_gets_its_export(run):
    (run / recluster.FILES_NAME).unlink()
    (run / recluster.READY_NAME).unlink()
    for old in run.glob("dan-cu-*"):
        old.unlink()
    assert recluster.files_ready(run)
    assert recluster.write_files(run, now=NOW) is None
    assert national_persons(run) == 12


def test_staged_files_are_published_records_last_and_a_half_publication_is_finished(run, monkeypatch):
    """The application stages its files; published after its commit, records.parquet last (never
    newer than result.json and files.json). A process killed midway: the task finishes it."""
    merged_pair = next(p for p in result(run)["review_pairs"] if p["same_person"])
    before = parquet_persons(run)
    out = recluster.recluster_run(
        folder=run,
        labels=[(merged_pair["record_id_l"], merged_pair["record_id_r"], False)],
        title="t",
        commune="c",
        run_no=1,
        generated_at=dt.datetime(2025, 11, 30, 9, 30),
        decisions=[],
        unit_names={},
        publish=False,
    )
    assert parquet_persons(run) == before and result(run)["stats"]["persons"] == 12  # nothing yet
    assert recluster.files_ready(run) and out.generation == 1
    assert recluster.PUBLISH_ORDER[-1] == recluster.RECORDS_NAME
    moved = []
    real = recluster.os.replace

    def killed_at_the_records(src, dst):
        if Path(dst).name == recluster.RECORDS_NAME:
            raise KeyboardInterrupt  # the process dies here
        moved.append(Path(dst).name)
        real(src, dst)

    monkeypatch.setattr(recluster.os, "replace", killed_at_the_records)
    with pytest.raises(KeyboardInterrupt):
        recluster.publish_staged(run, out.generation)
    monkeypatch.undo()
    assert moved == [RESULT_NAME, recluster.FILES_NAME] and parquet_persons(run) == before
    assert not recluster.files_ready(run)
    assert recluster.write_files(run, now=NOW) == 1  # publishes the records, then writes
    assert parquet_persons(run) != before and workbook_persons(run)[0] == parquet_persons(run)
    assert not list(run.glob(f"{recluster.STAGE_PREFIX}*"))


def test_a_failed_write_is_recorded_for_the_page(run, monkeypatch):
    merged_pair = next(p for p in result(run)["review_pairs"] if p["same_person"])
    apply(run, [(merged_pair["record_id_l"], merged_pair["record_id_r"], False)])

    def out_of_memory(*args):
        raise MemoryError

    monkeypatch.setattr(recluster, "_write_workbook", out_of_memory)
    with pytest.raises(MemoryError):
        recluster.write_files(run, now=NOW)
    assert recluster.files_failure(run) == "máy chủ không đủ bộ nhớ."
    recluster.mark_queued(run)  # queued again: the failure no longer shows
    assert recluster.files_failure(run) is None
