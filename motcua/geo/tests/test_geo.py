import pytest

from motcua.geo.models import Commune, Province
from motcua.geo.services import geo_load_official_units

pytestmark = pytest.mark.django_db


def test_official_units_load_from_the_package_and_reload_keeps_local_settings():
    assert geo_load_official_units() == (34, 3321)
    assert Province.objects.count() == 34 and Commune.objects.count() == 3321
    thanh_khe = Commune.objects.get(code=20209)
    assert thanh_khe.name == "Phường Thanh Khê" and thanh_khe.province.name == "Thành phố Đà Nẵng"
    assert thanh_khe.name_folded == "phuong thanh khe"
    thanh_khe.agency_code = "H48.20209"
    thanh_khe.save()
    geo_load_official_units()
    assert Commune.objects.count() == 3321
    assert Commune.objects.get(code=20209).agency_code == "H48.20209"
