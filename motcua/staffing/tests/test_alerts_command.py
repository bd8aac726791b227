"""`motcua staffing tick <commune|--all>`: detection from a timer or cron."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.core import clock
from motcua.staffing.models import Alert

from .test_alerts import NOW, hall

pytestmark = pytest.mark.django_db


def test_tick_detects_for_one_commune_and_for_all():
    w = hall()
    other = hall(prefix="ak_", code=20210, waiting=0)["commune"]
    out = StringIO()
    with clock.pinned(NOW):
        call_command("staffing", "tick", str(w["commune"].code), stdout=out)
    assert out.getvalue() == "20209 Phường Thanh Khê: 1 cảnh báo đang mở\n"
    assert Alert.objects.filter(commune=w["commune"]).count() == 1
    out = StringIO()
    with clock.pinned(NOW):
        call_command("staffing", "tick", "--all", stdout=out)
    assert out.getvalue().splitlines() == [
        "20209 Phường Thanh Khê: 1 cảnh báo đang mở",
        f"{other.code} {other.name}: 0 cảnh báo đang mở",
    ]
    assert Alert.objects.count() == 1


@pytest.mark.parametrize("args", [["99999"], ["²"], ["1\x00"], ["x" * 200], [], ["20209", "--all"]])
def test_tick_refuses_a_bad_call(args):
    hall()
    with pytest.raises(CommandError) as exc:
        call_command("staffing", "tick", *args)
    assert exc.value.returncode == 2
    assert "xã, phường" in str(exc.value)
