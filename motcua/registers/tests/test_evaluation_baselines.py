import csv

from motcua.registers.evaluation.baselines import read_rows, spreadsheet_way, spreadsheet_way_files
from motcua.registers.evaluation.generator import HEADER, generate_registers
from motcua.registers.evaluation.scorer import score_clusters


def row(record_id, name, birth, citizen_id=""):
    return {"record_id": record_id, "full_name": name, "birth_date": birth, "citizen_id": citizen_id}


def test_same_id_or_same_folded_name_and_date_string_joined_transitively():
    rows = [
        row("r01", "Nguyễn Văn Hùng", "01/02/1980", "048080000001"),
        row("r02", "NGUYEN  VAN HUNG", "01/02/1980"),  # same folded name and date string
        row("r03", "Nguyen Van Hung", "1980-02-01", "048080000001"),  # same ID as r1
        row("r04", "Nguyễn Văn Hùng", "1980-02-01"),  # same name/date as r3 → joins r1 transitively
        row("r05", "Nguyễn Văn Hùng", "1/2/1980"),  # another date string: alone
        row("r06", "Trần Thị Lan", ""),  # blank dates never match
        row("r07", "Tran Thi Lan", ""),
        row("r08", "Lê Văn A", "1990", " "),  # blank IDs never match
        row("r09", "Lê Văn B", "1991", " "),
        row("r10", "Lê Văn A", "1990", "48080000001"),  # zeros eaten: not the same ID as typed
    ]
    out = spreadsheet_way(rows)
    assert out == {
        "r01": "r01",
        "r02": "r01",
        "r03": "r01",
        "r04": "r01",
        "r05": "r05",
        "r06": "r06",
        "r07": "r07",
        "r08": "r08",
        "r09": "r09",
        "r10": "r08",
    }


def test_person_id_is_the_smallest_record_id_whatever_the_order():
    rows = [row("b", "X", "1990", "1"), row("c", "Y", "1991", "2"), row("a", "Y", "1991", "1")]
    assert spreadsheet_way(rows) == {"a": "a", "b": "a", "c": "a"}


def test_on_generated_registers(tmp_path):
    gen = generate_registers(persons=400, wards=3, seed=5, out_dir=tmp_path)
    clusters = spreadsheet_way_files(gen.files)
    assert len(clusters) == gen.rows
    s = score_clusters(truth=gen.truth, clusters=clusters)
    assert 0 < s.recall < 1 and 0 < s.precision <= 1


def test_read_rows_accepts_a_bom(tmp_path):
    path = tmp_path / "r.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerow(["A-1", "P. X", "Lê Văn A", "1990", "Nam", "", "", "", ""])
    assert [r["record_id"] for r in read_rows([path])] == ["A-1"]
