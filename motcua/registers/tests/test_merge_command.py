import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.evaluation.scorer import score_clusters


def test_merge_writes_one_person_id_per_record_and_finds_the_duplicates(tmp_path):
    gen = generate_registers(persons=400, wards=3, seed=7, out_dir=tmp_path)
    out = tmp_path / "CLUSTERS.csv"
    review = tmp_path / "review.csv"
    call_command("registers", "merge", *map(str, gen.files), "--out", str(out), "--review-out", str(review),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == gen.rows and set(rows[0]) == {"record_id", "person_id"}
    assert len({r["record_id"] for r in rows}) == gen.rows
    scores = score_clusters(truth=gen.truth, clusters=out)
    assert scores.f1 > 0.9, scores
    assert review.exists()


def test_merge_refuses_a_bad_file_with_a_clear_message(tmp_path):
    bad = tmp_path / "so_cu.csv"
    bad.write_text("id,ho_ten\n1,Nguyễn Văn A\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("registers", "merge", str(bad), "--out", str(tmp_path / "c.csv"), stderr=io.StringIO())
    assert "so_cu.csv" in str(err.value)
    assert not (tmp_path / "c.csv").exists()


def test_console_script_fronts_the_evaluation_tools(tmp_path):
    motcua = Path(sys.executable).with_name("motcua")
    done = subprocess.run([str(motcua), "registers", "generate", "--persons", "50", "--out-dir", str(tmp_path)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert (tmp_path / "truth.csv").exists(), done.stdout
