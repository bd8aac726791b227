import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from motcua.core.dates import parse_date
from motcua.core.text import clean_text, fold, mask_digits


def test_fold_handles_d_decomposed_text_and_case():
    assert fold("Đăng ký  KHAI SINH") == "dang ky khai sinh"
    assert fold(unicodedata.normalize("NFD", "Nguyễn Văn Đoàn")) == "nguyen van doan"
    assert fold("hoà") == fold("hòa") == "hoa"


def test_clean_text_drops_control_characters_postgres_refuses():
    assert clean_text("Lê\x00 Văn\x07 A\nB\t") == "Lê Văn A\nB\t"


def test_clean_text_drops_bidi_controls_and_the_bom():
    """An RLO makes "Đèn gnp.exe hỏng" read "Đèn exe.png hỏng" on a public page."""
    assert clean_text("Đèn \u202egnp.exe\u202c hỏng") == "Đèn gnp.exe hỏng"
    invisible = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\ufffe\uffff"
    assert clean_text(f"\ufeffPhố{invisible} Lê Duẩn") == "Phố Lê Duẩn"
    assert clean_text("Nguyễn\u200dVăn") == "Nguyễn\u200dVăn"  # ZWJ is not a bidi control: kept


@given(st.text())
def test_fold_and_clean_never_keep_nul(text):
    assert "\x00" not in fold(text) and "\x00" not in clean_text(text)


def test_mask_digits():
    assert mask_digits("048095001234") == "**********34"
    assert mask_digits("12") == "**"
    assert mask_digits("") == ""


def test_parse_date_vietnamese_and_iso():
    assert str(parse_date("10/02/2026")) == "2026-02-10"
    assert str(parse_date("1/2/2026")) == "2026-02-01"
    assert str(parse_date("2026-02-10")) == "2026-02-10"
    assert parse_date("31/02/2026") is None and parse_date("") is None and parse_date("hôm nay") is None


def test_form_text_refuses_what_it_would_otherwise_drop():
    import pytest

    from motcua.core.errors import ValidationFailed
    from motcua.core.text import form_int, form_text

    assert form_text("  Hộ   tịch\t", label="tên nhóm", max_length=100) == "Hộ tịch"
    for bad in ("A\x00B", "Đèn \u202egnp.exe", "x" * 101):
        with pytest.raises(ValidationFailed):
            form_text(bad, label="tên nhóm", max_length=100)
    with pytest.raises(ValidationFailed, match="Chưa nhập tên nhóm"):
        form_text("  ", label="tên nhóm", max_length=100, required=True)
    assert form_int(" 7 ", label="số", low=1, high=60) == 7
    for bad in ("0", "61", "abc", "٣", "1" * 7, ""):
        with pytest.raises(ValidationFailed):
            form_int(bad, label="số", low=1, high=60)
