import unicodedata

import pytest

from motcua.catalog.models import Procedure
from motcua.catalog.selectors import procedure_field_list, procedure_get, procedure_search
from motcua.core.errors import NotFound


def codes(qs):
    return {p.code for p in qs}


def test_search_without_diacritics_finds_certification(starter):
    found = list(procedure_search(query="chung thuc"))
    assert found
    assert all("chung thuc" in p.name_folded for p in found)
    assert "2.000815" in codes(found)


def test_search_ignores_case_word_order_and_decomposed_unicode(starter):
    assert "1.001193" in codes(procedure_search(query="KHAI SINH dang ky"))
    decomposed = unicodedata.normalize("NFD", "Đăng ký khai sinh")
    assert "1.001193" in codes(procedure_search(query=decomposed))


def test_search_matches_code_and_filters_by_field(starter):
    assert codes(procedure_search(query="1.013978")) == {"1.013978"}
    land = procedure_search(query="", field_code="dat-dai", limit=None)
    assert land and all(p.field.code == "dat-dai" for p in land)


def test_search_hides_inactive_and_respects_limit(starter):
    Procedure.objects.filter(code="1.001193").update(is_active=False)
    assert "1.001193" not in codes(procedure_search(query="khai sinh"))
    assert len(procedure_search(query="", limit=3)) == 3


def test_procedure_get(starter):
    p = procedure_get(code="1.001193")
    assert p.checklist.all()[0].position == 1
    with pytest.raises(NotFound):
        procedure_get(code="9.999999")


def test_field_list_counts_active_procedures(starter):
    fields = {f.code: f.active_count for f in procedure_field_list()}
    assert fields["ho-tich"] >= 5
