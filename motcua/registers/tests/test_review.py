"""The review page's comparison rules (``review.side_by_side``, ``review.agreement``)."""

from motcua.registers.review import FIELDS, agreement, side_by_side


def side(raw=None, **norm):
    return {"raw": raw or {}, "norm": norm}


def test_names_are_compared_as_written_without_diacritics_or_case():
    a = side({"full_name": "Nguyễn Thị Ánh"})
    assert agreement("name", a, side({"full_name": "NGUYEN THI ANH"})) == "same"
    assert agreement("name", a, side({"full_name": "Nguyễn Thị Anh Đào"})) == "diff"
    assert agreement("name", a, side({"full_name": ""})) is None


def test_birth_dates_full_against_full():
    a = side(birth_date="1985-03-05", birth_year=1985)
    assert agreement("birth", a, side(birth_date="1985-03-05", birth_year=1985)) == "same"
    assert agreement("birth", a, side(birth_date="1985-05-03", birth_year=1985)) == "diff"
    assert agreement("birth", a, side()) is None


def test_a_bare_year_agrees_on_the_year_only():
    full = side(birth_date="1985-03-05", birth_year=1985)
    assert agreement("birth", full, side(birth_year=1985)) == "same_year"
    assert agreement("birth", side(birth_year=1985), full) == "same_year"
    assert agreement("birth", full, side(birth_year=1986)) == "diff"
    assert agreement("birth", side(birth_year=1985), side(birth_year=1985)) == "same_year"


def test_ids_compare_a_cccd_with_a_cccd_and_a_cmnd_with_a_cmnd():
    cccd = side(citizen_id="048085001234")
    assert agreement("id", cccd, side(citizen_id="048085001234")) == "same"
    assert agreement("id", cccd, side(citizen_id="048085009999")) == "diff"
    assert agreement("id", side(cmnd="201234567"), side(cmnd="201234567")) == "same"
    # A CMND against a CCCD: not comparable (the same person may hold both).
    assert agreement("id", cccd, side(cmnd="201234567")) is None
    # Both sides hold a CMND, one a CCCD too: the CMNDs are compared.
    assert (
        agreement("id", side(citizen_id="048085001234", cmnd="201234567"), side(cmnd="201234567")) == "same"
    )
    assert agreement("id", cccd, side()) is None


def test_addresses_on_their_folded_form_and_other_fields_on_their_column():
    assert (
        agreement("address", side(address_folded="to 5 chinh gian"), side(address_folded="to 5 chinh gian"))
        == "same"
    )
    assert agreement("address", side(address_folded="to 5"), side(address_folded="to 6")) == "diff"
    assert agreement("gender", side(gender="F"), side(gender="M")) == "diff"
    assert agreement("phone", side(phone="0905123456"), side(phone="0905123456")) == "same"
    assert agreement("household_no", side(household_no="12"), side()) is None
    assert agreement(None, side(gender="F"), side(gender="F")) is None


def test_side_by_side_shows_every_field_as_written_with_the_file_and_line():
    left = side(
        {"source": "chinh_gian", "file_name": "a.csv", "line_no": 3, "record_id": "CG-1", "full_name": "Lê Văn Tám",
         "birth_date": "5/3/1985", "gender": "Nam", "citizen_id": None},
        birth_date="1985-03-05", birth_year=1985, gender="M",
    )  # fmt: skip
    right = side(
        {"source": "tam_thuan", "file_name": "b.xlsx", "line_no": 7, "record_id": "TT-9", "full_name": "LÊ VĂN TÁM",
         "birth_date": "1985", "gender": "Nữ"},
        birth_year=1985, gender="F",
    )  # fmt: skip
    rows = side_by_side(left, right)
    assert [r["label"] for r in rows] == [label for label, _, _ in FIELDS]
    by = {r["label"]: r for r in rows}
    assert by["Tệp, dòng"] == {
        "label": "Tệp, dòng",
        "left": "a.csv, dòng 3",
        "right": "b.xlsx, dòng 7",
        "agree": None,
    }
    assert by["Mã bản ghi"]["left"] == "CG-1" and by["Mã bản ghi"]["agree"] is None
    assert by["Họ và tên"]["agree"] == "same"
    assert by["Ngày sinh"] == {
        "label": "Ngày sinh",
        "left": "5/3/1985",
        "right": "1985",
        "agree": "same_year",
    }
    assert by["Giới tính"]["agree"] == "diff"
    assert by["Số CCCD/CMND"] == {"label": "Số CCCD/CMND", "left": "", "right": "", "agree": None}
