"""Old address → new ward and province through vietnamadminunits: what the library does with
folded text, abbreviations, divided wards and the new two-level form, and that it is called
once per distinct unit and never online."""

import pytest

from motcua.registers import geo_cache
from motcua.registers.normalize import AddressParts, normalize_address

THANH_KHE_2025 = 20209  # phường Thanh Khê (Đà Nẵng) since 1 July 2025
DA_NANG = 48


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Fail loudly if the library tries to geocode (it would go online)."""
    from vietnamadminunits.converter import converter_2025
    from vietnamadminunits.parser import utils

    def no_network(*args, **kwargs):
        raise AssertionError("vietnamadminunits tried to geocode online")

    monkeypatch.setattr(converter_2025, "get_geo_location", no_network)
    monkeypatch.setattr(utils, "get_geo_location", no_network)
    geo_cache.clear()
    yield
    geo_cache.clear()


@pytest.mark.parametrize(
    "raw",
    [
        "12 Lê Duẩn, tổ 5, phường Xuân Hà, quận Thanh Khê, thành phố Đà Nẵng",
        "12 le duan, to 5, phuong xuan ha, quan thanh khe, thanh pho da nang",
        "12 LÊ DUẨN, P.XUÂN HÀ, Q.THANH KHÊ, TP.ĐÀ NẴNG",
        "12 Lê Duẩn P.Xuân Hà Q.Thanh Khê",
        "K12/34 Hà Huy Tập, F. Xuân Hà, Q Thanh Khê, Tp Đà Nẵng",
        "xuan ha, thanh khe, da nang",
        "Số 12 đường Lê Duẩn, phường Xuân Hà, Đà Nẵng",  # no district: the only Xuân Hà of Đà Nẵng
        "tổ 12, phường Tam Thuận, quận Thanh Khê, Đà Nẵng",  # merged into Xuân Hà before 2025
        "12 Lê Duẩn, phường Thanh Khê, thành phố Đà Nẵng",  # already the new form
        "phuong thanh khe, da nang",
    ],
)
def test_every_spelling_of_xuan_ha_reaches_the_new_ward_thanh_khe(raw):
    parts = normalize_address(raw)
    assert parts.new_ward_code == THANH_KHE_2025
    assert parts.new_province_code == DA_NANG


def test_old_units_are_the_library_names_folded():
    parts = normalize_address("K12/34 Hà Huy Tập, P.Xuân Hà, Q.Thanh Khê, TP.Đà Nẵng")
    assert parts == AddressParts(
        address_folded="k12/34 ha huy tap, p.xuan ha, q.thanh khe, tp.da nang",
        street_key="kiet 12/34 ha huy tap",
        old_ward="phuong xuan ha",
        old_district="quan thanh khe",
        old_province="thanh pho da nang",
        new_ward_code=THANH_KHE_2025,
        new_province_code=DA_NANG,
    )


def test_new_form_keeps_the_new_ward_as_written():
    parts = normalize_address("12 Lê Duẩn, phường Thanh Khê, thành phố Đà Nẵng")
    assert (parts.old_ward, parts.old_district, parts.old_province) == (
        "phuong thanh khe",
        None,
        "thanh pho da nang",
    )


def test_old_district_is_not_taken_for_a_new_ward():
    # The 2025 parser alone reads "quận Thanh Khê" as phường Thanh Khê: only the province is known.
    parts = normalize_address("12 Lê Duẩn, quận Thanh Khê, thành phố Đà Nẵng")
    assert parts.new_ward_code is None
    assert parts.old_district == "quan thanh khe"
    assert parts.new_province_code == DA_NANG


def test_ward_divided_in_2025_keeps_only_the_province():
    # Xã Hòa Liên went partly to Hải Vân, partly to Liên Chiểu: the library would geocode the street
    # (or guess its "default" ward without one); the new ward stays unknown.
    assert geo_cache.is_split_ward("xa hoa lien", "huyen hoa vang", "thanh pho da nang")
    parts = normalize_address("thôn Quan Nam 1, xã Hòa Liên, huyện Hòa Vang, TP Đà Nẵng")
    assert parts.old_ward == "xa hoa lien"
    assert parts.new_ward_code is None
    assert parts.new_province_code == DA_NANG


def test_undivided_ward_is_not_reported_split():
    assert not geo_cache.is_split_ward("phuong xuan ha", "quan thanh khe", "thanh pho da nang")


def test_province_merged_in_2025_gets_its_new_code():
    parts = normalize_address("thôn 1, xã Tam Thăng, thành phố Tam Kỳ, tỉnh Quảng Nam")
    assert parts.old_province == "tinh quang nam"
    assert parts.new_province_code == DA_NANG  # Quảng Nam joined Đà Nẵng


def test_ho_chi_minh_city_numbered_wards():
    a = normalize_address("123/4 Nguyễn Trãi, P.2, Q.5, TP.HCM")
    b = normalize_address("123/4 nguyen trai, phuong 02, quan 5, thanh pho ho chi minh")
    assert a.new_ward_code == b.new_ward_code is not None
    assert a.new_province_code == 79
    assert a.street_key == b.street_key == "123/4 nguyen trai"


def test_unknown_or_partial_addresses():
    assert normalize_address("12 Lê Duẩn").new_province_code is None
    assert normalize_address("Đà Nẵng").new_province_code == DA_NANG
    assert normalize_address("phường Không Có, quận Không Có").new_ward_code is None
    assert normalize_address("") == AddressParts(None, None, None, None, None, None, None)
    assert normalize_address(None) == AddressParts(None, None, None, None, None, None, None)


def test_each_distinct_unit_is_converted_once():
    houses = [f"{n} Lê Duẩn" for n in range(1, 200)]
    for house in houses:
        normalize_address(f"{house}, P. Xuân Hà, Q. Thanh Khê, TP. Đà Nẵng")
        normalize_address(f"{house}, phuong xuan ha, quan thanh khe, da nang")
        normalize_address(f"{house}, phường Chính Gián, quận Thanh Khê, Đà Nẵng")
    assert geo_cache.calls["convert"] == 2  # Xuân Hà, Chính Gián
    assert geo_cache.calls["parse"] <= 4  # one per distinct way of writing the units
