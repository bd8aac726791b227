from motcua.catalog.formatting import describe_time, format_vnd
from motcua.catalog.models import TimeUnit


def test_format_vnd():
    assert format_vnd(0) == "Miễn phí"
    assert format_vnd(None) == "Miễn phí"
    assert format_vnd(8000) == "8.000 đồng"
    assert format_vnd(1250000) == "1.250.000 đồng"


def test_describe_time():
    assert describe_time(unit=TimeUnit.ON_THE_SPOT, value=None) == "Giải quyết ngay"
    assert describe_time(unit=TimeUnit.SAME_DAY, value=None).startswith("Trong ngày")
    assert describe_time(unit=TimeUnit.HOURS, value=4) == "4 giờ làm việc"
    text = describe_time(unit=TimeUnit.WORKING_DAYS, value=20, value_difficult=30)
    assert text.startswith("20 ngày làm việc (30 ngày làm việc ở xã miền núi")
    assert describe_time(unit=TimeUnit.WORKING_DAYS, value=3, value_difficult=3) == "3 ngày làm việc"
