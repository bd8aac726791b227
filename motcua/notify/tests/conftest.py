import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from .fakegateway import FakeGateway

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 2, 10, 9, 0, tzinfo=VN)


@pytest.fixture
def gateway(settings):
    gw = FakeGateway().start()
    settings.MOTCUA_SMS_URL = gw.url + "/sms"
    settings.MOTCUA_SMS_KEY = "sms-key"
    settings.MOTCUA_SMS_BRANDNAME = "UBND-PHUONG"
    settings.MOTCUA_ZALO_URL = gw.url + "/zns"
    settings.MOTCUA_ZALO_TOKEN = "zalo-token"
    settings.MOTCUA_ZALO_TEMPLATE_ID = "301234"
    settings.MOTCUA_NOTIFY_HTTP_TIMEOUT = 0.5
    yield gw
    gw.stop()
