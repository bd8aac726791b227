"""Open311 GeoReport v2 (issue 9 §5): every answer of every endpoint validates against the
official schemas (shared/open311/georeport-v2), the XML carries the same data as the JSON, a
form-encoded POST with attribute[…] values becomes a feedback item, bad requests get the error
array with 400 / 403 / 404, and no answer carries the reporter's personal data."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from motcua.core import clock
from motcua.feedback.models import Channel, FeedbackItem, Open311Key, State
from motcua.feedback.open311 import selectors
from motcua.feedback.open311.keys import open311_key_create
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, feedback_apply
from motcua.testing import make_commune, make_feedback_setup, make_staff

from .conftest import NOW

SCHEMAS = Path(__file__).resolve().parents[4] / "shared" / "open311" / "georeport-v2"
if not SCHEMAS.exists():  # the work tree beside shared/ (CI: a clone with shared/ beside it)
    SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "open311" / "georeport-v2"

NAME, PHONE, EMAIL = "Trần Thị Riêng Tư", "0905123478", "rieng.tu@example.vn"

# The wiki's discovery and error shapes (no official schema file for them).
DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "endpoints"],
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "specification": {"type": "string", "format": "uri"},
                    "url": {"type": "string", "format": "uri"},
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                },
            },
        },
    },
}
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}

pytestmark = pytest.mark.django_db

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        raise ValueError(f"not RFC 3339: {value}")
    dt.datetime.fromisoformat(value)
    return True


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"https?://[^\s]+", value))


def _registry() -> Registry:
    resources = [
        (f.name, Resource.from_contents(json.loads(f.read_text()), default_specification=DRAFT7))
        for f in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(data: Any, schema: dict[str, Any] | str) -> None:
    if isinstance(schema, str):
        schema = {"$ref": schema}
    jsonschema.Draft7Validator(schema, registry=REGISTRY, format_checker=FORMATS).validate(data)


def swagger(definition: str, *, array: bool = False) -> dict[str, Any]:
    ref = {"$ref": f"swagger.json#/definitions/{definition}"}
    return {"type": "array", "items": ref} if array else ref


# ---- XML → the JSON's values -------------------------------------------------------------------


def xml_of(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, in a test


def _scalar(text: str | None, like: Any) -> Any:
    if text is None or text == "":
        return None if like is None or like == "" else text
    if isinstance(like, bool):
        return text == "true"
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


def same(element: ET.Element, data: Any) -> None:
    """The XML element carries exactly the JSON's data, field by field."""
    if isinstance(data, list):
        children = list(element)
        assert len(children) == len(data), element.tag
        for child, entry in zip(children, data, strict=True):
            same(child, entry)
    elif isinstance(data, dict):
        tags = [child.tag for child in element]
        assert tags == list(data), (tags, list(data))
        for child in element:
            same(child, data[child.tag])
    else:
        assert _scalar(element.text, data) == (None if data == "" else data), (
            element.tag,
            element.text,
            data,
        )


def both(client: Client, url: str, params: dict[str, Any] | None = None, *, status: int = 200) -> Any:
    """GET the .json and the .xml; same status, the XML carries the JSON's data; the JSON."""
    got = client.get(url, params or {})
    assert got.status_code == status, got.content
    assert got["Content-Type"].startswith("application/json")
    data = got.json()
    xml_url = re.sub(r"\.json$", ".xml", url)
    got_xml = client.get(xml_url, params or {})
    assert got_xml.status_code == status
    root = xml_of(got_xml)
    if isinstance(data, list):
        same(root, data)
    else:
        same(root, data)
    for body in (got.content, got_xml.content):
        text = body.decode()
        assert NAME not in text and PHONE not in text and EMAIL not in text
        assert PHONE[-8:] not in text
    return data


def error_of(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.content
    data = response.json()
    validate(data, ERRORS)
    assert data[0]["code"] == status
    return data


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def pinned():
    with clock.pinned(NOW):
        yield NOW


@pytest.fixture
def key(ward, setup, pinned):
    return open311_key_create(commune=ward, name="Ứng dụng Phố Xanh", now=NOW)


@pytest.fixture
def item(ward, setup, pinned):
    return feedback_create(
        commune=ward, channel=Channel.HOTLINE, category=setup["categories"]["chieu-sang"],
        title="Đèn đường hỏng", description=f"Đèn trước nhà 12 hỏng, gọi {PHONE} hoặc {EMAIL}.",
        neighbourhood=setup["neighbourhoods"][0], address="12 Lê Duẩn", latitude="16.067891", longitude="108.220456",
        reporter=Reporter(name=NAME, phone=PHONE, email=EMAIL), now=NOW,
    )  # fmt: skip


def _post(client: Client, fmt: str = "json", **data: Any) -> Any:
    return client.post(f"/open311/v2/requests.{fmt}", data)


def _form(key: str, setup: dict[str, Any], **extra: Any) -> dict[str, Any]:
    form = {
        "api_key": key,
        "jurisdiction_id": "20209",
        "service_code": "thoat-nuoc",
        "lat": "16.0678",
        "long": "108.2208",
        "address_string": "Kiệt 45 Hà Huy Tập",
        "description": "Cống bị tắc, nước tràn ra đường khi mưa.\nXin xử lý sớm.",
        "first_name": "Thị Riêng Tư",
        "last_name": "Trần",
        "phone": PHONE,
        "email": EMAIL,
        "attribute[neighbourhood]": str(setup["neighbourhoods"][1].pk),
        "attribute[landmark]": "Gần chợ Thanh Khê",
    }
    form.update(extra)
    return form


# ---- discovery, services, definitions -------------------------------------------------------------


def test_discovery_json_and_xml(client, ward, setup):
    data = both(client, "/open311/v2/discovery.json")
    validate(data, DISCOVERY)
    assert data["endpoints"][0]["url"].endswith("/open311/v2/")
    assert client.get("/open311/v2/").status_code == 302


def test_services_are_the_communes_active_categories(client, ward, setup):
    setup["categories"]["khac"].active = False
    setup["categories"]["khac"].save()
    data = both(client, "/open311/v2/services.json", {"jurisdiction_id": "20209"})
    validate(data, "services.json")
    codes = [s["service_code"] for s in data]
    assert "thoat-nuoc" in codes and "khac" not in codes
    drain = next(s for s in data if s["service_code"] == "thoat-nuoc")
    assert drain["service_name"] == "Thoát nước" and drain["metadata"] is True and drain["type"] == "realtime"
    assert drain["group"] == setup["categories"]["thoat-nuoc"].department.name
    # one commune serves feedback: jurisdiction_id may be left out
    assert both(client, "/open311/v2/services.json") == data


def test_jurisdiction_required_when_several_communes_and_checked(client, ward, setup, other_ward):
    make_feedback_setup(other_ward)
    for fmt in ("json", "xml"):
        got = client.get(f"/open311/v2/services.{fmt}")
        assert got.status_code == 400
        if fmt == "xml":
            root = xml_of(got)
            assert root.tag == "errors" and root[0].tag == "error" and root[0].find("code").text == "400"
        else:
            error_of(got, 400)
    other = both(client, "/open311/v2/services.json", {"jurisdiction_id": str(other_ward.code)})
    validate(other, "services.json")
    error_of(client.get("/open311/v2/services.json", {"jurisdiction_id": "99999"}), 404)
    for bad in ("abc", "1" * 11, "20209\x00", "２０２０９"):
        error_of(client.get("/open311/v2/services.json", {"jurisdiction_id": bad}), 400)
    # a commune that does not take feedback (no active category) is not a jurisdiction
    make_commune(20212, "Phường Chưa Dùng", "H48.20212")
    error_of(client.get("/open311/v2/services.json", {"jurisdiction_id": "20212"}), 404)
    error_of(client.get("/open311/v2/services.html"), 404)


def test_service_definition_with_neighbourhoods(client, ward, setup):
    data = both(client, "/open311/v2/services/thoat-nuoc.json", {"jurisdiction_id": "20209"})
    validate(data, "service-definition.json")
    assert data["service_code"] == "thoat-nuoc"
    by_code = {a["code"]: a for a in data["attributes"]}
    assert by_code["neighbourhood"]["datatype"] == "singlevaluelist"
    assert [v["name"] for v in by_code["neighbourhood"]["values"]] == [
        "Tổ dân phố 1",
        "Tổ dân phố 2",
        "Tổ dân phố 3",
    ]
    assert by_code["landmark"]["datatype"] == "string"
    error_of(client.get("/open311/v2/services/khong-co.json"), 404)
    error_of(client.get("/open311/v2/services/" + "x" * 300 + ".json"), 400)
    error_of(client.get("/open311/v2/services/thoat%00nuoc.json"), 400)


# ---- POST requests -----------------------------------------------------------------------------


def test_form_encoded_post_creates_an_item(client, ward, staff, setup, key):
    got = _post(client, **_form(key, setup))
    assert got.status_code == 200, got.content
    data = got.json()
    validate(data, swagger("RequestResponse", array=True))
    code = data[0]["service_request_id"]
    item = FeedbackItem.objects.get(code=code)
    due = item.due_at.astimezone(ward_tz())
    assert data[0]["service_notice"] == f"Đã tiếp nhận phản ánh {code}. Hạn xử lý: {due:%d/%m/%Y}."
    assert item.commune == ward and item.channel == Channel.OPEN311 and item.state == State.NEW
    assert item.category.code == "thoat-nuoc" and item.neighbourhood == setup["neighbourhoods"][1]
    assert item.attributes == {
        "neighbourhood": str(setup["neighbourhoods"][1].pk),
        "landmark": "Gần chợ Thanh Khê",
    }
    assert item.title == "Cống bị tắc, nước tràn ra đường khi mưa."
    assert item.reporter_name == "Trần Thị Riêng Tư" and item.reporter_phone == PHONE
    assert item.reporter_email == EMAIL and item.address == "Kiệt 45 Hà Huy Tập"
    assert str(item.latitude) == "16.067800" and item.open311_key.name == "Ứng dụng Phố Xanh"
    assert item.open311_token and item.events.get().actor_label == "Ứng dụng Phố Xanh"
    assert Open311Key.objects.get().last_used_at == NOW
    for body in (got.content,):
        assert NAME not in body.decode() and PHONE not in body.decode()
    # the staff see it on the item's page, when that page exists
    try:
        detail = reverse("feedback:detail", kwargs={"pk": item.pk})
    except NoReverseMatch:
        detail = None
    if detail:
        client.force_login(staff["leader"])
        assert code in client.get(detail).content.decode()
    # it is followed through Open311 at once, and by its token
    one = both(client, f"/open311/v2/requests/{code}.json")
    validate(one, "requests.json")
    assert one[0]["status"] == "open" and one[0]["service_code"] == "thoat-nuoc"
    # the app's own item: what the app sent (description, address, the exact point)
    assert one[0]["description"] == "Cống bị tắc, nước tràn ra đường khi mưa.\nXin xử lý sớm."
    assert one[0]["address"] == "Kiệt 45 Hà Huy Tập, Tổ dân phố 2, Phường Thanh Khê"
    assert one[0]["lat"] == 16.0678 and one[0]["long"] == 108.2208
    token = both(client, f"/open311/v2/tokens/{item.open311_token}.json")
    validate(token, swagger("TokenResponse", array=True))
    assert token == [{"service_request_id": code, "token": item.open311_token}]
    error_of(client.get("/open311/v2/tokens/khong-co-token.json"), 404)


def test_post_in_xml_and_without_jurisdiction(client, ward, setup, other_ward, key):
    make_feedback_setup(other_ward)  # two communes serve feedback: the key names the commune
    form = _form(key, setup)
    del form["jurisdiction_id"]
    got = _post(client, "xml", **form)
    assert got.status_code == 200
    root = xml_of(got)
    assert root.tag == "service_requests" and root[0].tag == "request"
    code = root[0].find("service_request_id").text
    assert FeedbackItem.objects.filter(code=code, commune=ward).exists()
    assert [e.tag for e in root[0]] == ["service_request_id", "service_notice"]
    assert root[0].find("service_notice").text.startswith(f"Đã tiếp nhận phản ánh {code}.")


def test_post_needs_a_live_key_of_the_commune(client, ward, setup, other_ward, pinned):
    make_feedback_setup(other_ward)
    theirs = open311_key_create(commune=other_ward, name="Ứng dụng An Khê", now=NOW)
    revoked = open311_key_create(commune=ward, name="Cũ", now=NOW)
    Open311Key.objects.filter(name="Cũ").update(revoked_at=NOW)
    for bad in ("", "sai-khoa", revoked, "k" * 5000, "abc\x00"):
        error_of(_post(client, **_form(bad, setup)), 403)
    # another commune's key on this commune's jurisdiction
    error_of(_post(client, **_form(theirs, setup)), 403)
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "khong-co"}, "service_code"),
        ({"description": "a" * 4001}, "4000"),
        ({"description": "Cống\x00tắc"}, "không hợp lệ"),
        ({"address_string": "x" * 301}, "300"),
        ({"first_name": "\x00"}, "không hợp lệ"),
        ({"lat": "abc"}, "Toạ độ"),
        ({"lat": "48.85", "long": "2.35"}, "Việt Nam"),
        ({"lat": "16.06", "long": ""}, "long"),
        ({"lat": "", "long": "", "address_string": "", "attribute[neighbourhood]": ""}, "vị trí"),
        ({"phone": "12345"}, "điện thoại"),
        ({"email": "khong-phai-email"}, "thư điện tử"),
        ({"attribute[color]": "đỏ"}, "color"),
        ({"attribute[neighbourhood]": "999999"}, "neighbourhood"),
        ({"attribute[neighbourhood]": "1" * 50}, "neighbourhood"),
        ({"attribute[landmark]": "m" * 201}, "200"),
        ({"attribute[landmark]": "chợ\x00"}, "không hợp lệ"),
        ({"attribute": "x"}, "attribute"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"service_code": "s" * 10_000}, "service_code"),
    ],
)
def test_bad_posts_get_a_400_error_array(client, ward, setup, key, change, fragment):
    got = _post(client, **_form(key, setup, **change))
    data = error_of(got, 400)
    assert fragment.lower() in data[0]["description"].lower()
    xml = _post(client, "xml", **_form(key, setup, **change))
    assert xml.status_code == 400
    root = xml_of(xml)
    same(root, [{"code": 400, "description": data[0]["description"]}])
    assert not FeedbackItem.objects.exists()


def test_huge_bodies_and_too_many_fields_get_a_400(client, ward, setup, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    error_of(_post(client, **_form(key, setup, description="x" * 200_000)), 400)
    many = {f"f{i}": "1" for i in range(1100)}
    error_of(_post(client, **_form(key, setup, **many)), 400)
    error_of(client.get("/open311/v2/requests.json", many), 400)
    assert not FeedbackItem.objects.exists()


def test_post_is_rate_limited_per_key(client, ward, setup, key, settings):
    settings.MOTCUA_OPEN311_WRITE_RATE = "2/60"
    assert _post(client, **_form(key, setup)).status_code == 200
    assert _post(client, **_form(key, setup)).status_code == 200
    error_of(_post(client, **_form(key, setup)), 429)
    assert FeedbackItem.objects.count() == 2


def test_reads_are_rate_limited_per_client(client, ward, setup, settings, pinned):
    settings.MOTCUA_OPEN311_READ_RATE = "2/60"
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200
    error_of(client.get("/open311/v2/services.json"), 429)


# ---- GET requests ----------------------------------------------------------------------------


def test_requests_list_status_and_no_personal_data(client, ward, staff, setup, item):
    rejected = feedback_create(
        commune=ward, channel=Channel.WALK_IN, category=setup["categories"]["an-ninh"], title="Tụ tập ồn ào",
        reporter=Reporter(name=NAME, phone=PHONE), now=NOW + dt.timedelta(minutes=5),
    )  # fmt: skip
    feedback_apply(
        item=rejected, action=Action.REJECT, actor=staff["leader"], now=NOW + dt.timedelta(hours=1),
        data={"note": "Không thuộc thẩm quyền của phường"},
    )  # fmt: skip
    with clock.pinned(NOW + dt.timedelta(days=1)):
        data = both(client, "/open311/v2/requests.json", {"jurisdiction_id": "20209"})
        validate(data, "requests.json")
        assert [r["service_request_id"] for r in data] == [rejected.code, item.code]
        closed, open_ = data
        # the state's label only: the rejection's reason is written for officers
        assert closed["status"] == "closed" and closed["status_notes"] == "Không thụ lý"
        assert closed["updated_datetime"] == "2026-02-10T10:00:00+07:00"
        assert open_["status"] == "open" and open_["requested_datetime"] == "2026-02-10T09:00:00+07:00"
        assert open_["expected_datetime"] == item.due_at.astimezone(ward_tz()).isoformat()
        assert open_["agency_responsible"] == item.department.name
        # what the public list shows: the title, the neighbourhood, ~100 m; not the free-text
        # address, the description or the exact point (a hotline item: the resident's home)
        assert open_["service_name"] == "Chiếu sáng" and open_["lat"] == 16.068 and open_["long"] == 108.22
        assert open_["address"] == "Tổ dân phố 1, Phường Thanh Khê"
        assert open_["media_url"] is None and open_["description"] == "Đèn đường hỏng"
        for key in ("reporter_name", "phone", "email", "first_name", "last_name"):
            assert all(key not in r for r in data)
        # filters
        assert [
            r["service_request_id"] for r in both(client, "/open311/v2/requests.json", {"status": "open"})
        ] == [item.code]
        assert [
            r["service_request_id"] for r in both(client, "/open311/v2/requests.json", {"status": "closed"})
        ] == [rejected.code]
        assert len(both(client, "/open311/v2/requests.json", {"status": "open,closed"})) == 2
        assert [
            r["service_request_id"]
            for r in both(client, "/open311/v2/requests.json", {"service_code": "an-ninh"})
        ] == [rejected.code]
        ids = both(client, "/open311/v2/requests.json", {"service_request_id": f"{item.code},KHONG-CO"})
        assert [r["service_request_id"] for r in ids] == [item.code]
        window = {"start_date": "2026-02-10T09:01:00+07:00", "end_date": "2026-02-10T10:00:00+07:00"}
        assert [r["service_request_id"] for r in both(client, "/open311/v2/requests.json", window)] == [
            rejected.code
        ]
        assert both(client, "/open311/v2/requests.json", {"start_date": "2026-02-11"}) == []
    with clock.pinned(NOW + dt.timedelta(days=91)):
        assert both(client, "/open311/v2/requests.json") == []


def test_status_notes_are_the_label_and_the_resolution_only(client, ward, staff, setup, item, pinned):
    lamp = item
    land = feedback_create(
        commune=ward, channel=Channel.SESSION, category=setup["categories"]["an-ninh"], title="Tranh chấp đất",
        now=NOW,
    )  # fmt: skip
    later = NOW + dt.timedelta(hours=1)
    feedback_apply(
        item=land, action=Action.ESCALATE, actor=staff["leader"], now=later,
        data={"note": "Hộ ông Lê Văn Bảy lấn đất nhà bà Hai, vượt thẩm quyền của phường"},
    )  # fmt: skip
    feedback_apply(
        item=lamp, action=Action.RESOLVE_ON_SPOT, actor=staff["leader"], now=later,
        data={"note": f"Đã thay bóng đèn. Báo lại qua số {PHONE}"},
    )  # fmt: skip
    got = {r["service_request_id"]: r for r in both(client, "/open311/v2/requests.json")}
    assert got[land.code]["status_notes"] == "Đã chuyển cấp tỉnh"
    assert got[lamp.code]["status_notes"] == "Đã giải quyết: Đã thay bóng đèn. Báo lại qua số ***"


@pytest.mark.parametrize(
    "text",
    [
        "Gọi +84 905 123 478 hoặc 84905123478 hoặc (+84)905123478; nhà ông nguyễn văn an; số 0905 123 478",
        "Liên hệ NGUYỄN VĂN AN, 0905.123.478 hoặc (84) 905-123-478 hoặc nguyen van an",
        "Anh Nguyễn  Văn An, 0905 12 34 78",
        unicodedata.normalize("NFD", "Anh Nguyễn Văn An (gõ kiểu tổ hợp), 0905 123 478"),
        "Thư: An.Nguyen@Example.VN hoặc an.nguyen＠example.vn, máy bàn (0236) 3822 123",
    ],
)
def test_scrub_masks_the_reporters_name_and_any_phone_or_email(text):
    """The reviewer's examples: any spelling of a phone, the name in any case or without accents."""
    item = FeedbackItem(reporter_name="Nguyễn Văn An", reporter_phone="0905123478", reporter_email="x@y.vn")
    scrubbed = selectors.scrub(text, item)
    assert not re.search(r"[0-9]{3}", scrubbed.replace("*", "")), scrubbed
    assert not re.search(r"[0-9][\s.\-()]{0,3}[0-9][\s.\-()]{0,3}[0-9]", scrubbed), scrubbed
    folded = scrubbed.casefold()
    for name in ("nguyễn văn an", "nguyen van an", "nguyễn  văn an"):
        assert name not in folded, scrubbed
    assert "@" not in scrubbed and "＠" not in scrubbed and "example" not in folded


def test_scrub_keeps_ordinary_text_and_numbers():
    item = FeedbackItem(reporter_name="Hoa", reporter_phone="0905123478")
    text = "Cây hoa trước nhà Hoàng số 12, ngày 10/02/2026, 100.000.000 đồng, tổ 3"
    assert (
        selectors.scrub(text, item)
        == "Cây *** trước nhà Hoàng số 12, ngày 10/02/2026, 100.000.000 đồng, tổ 3"
    )


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "1999-12-31",
        "2101-01-01",
    ],
)
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_extreme_dates_are_a_400_not_a_500(client, ward, setup, item, name, moment):
    client.raise_request_exception = False
    data = error_of(client.get("/open311/v2/requests.json", {"jurisdiction_id": "20209", name: moment}), 400)
    assert name in data[0]["description"]


@pytest.mark.parametrize("state", list(State))
def test_status_is_open_or_closed_by_state(state):
    item = FeedbackItem(state=state)
    expected = "open" if state in ("NEW", "ASSIGNED", "IN_PROGRESS", "ESCALATED") else "closed"
    assert selectors.status_of(item) == expected


def ward_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    "params",
    [
        {"status": "dang-mo"},
        {"start_date": "hôm qua"},
        {"end_date": "2026-13-01"},
        {"service_request_id": ",".join(["PA-1"] * 101)},
        {"service_request_id": "P" * 41},
        {"service_code": "c" * 41},
        {"jurisdiction_id": "x"},
        {"status": "open\x00"},
    ],
)
def test_bad_list_queries_get_a_400(client, ward, setup, params):
    error_of(client.get("/open311/v2/requests.json", params), 400)


def test_request_detail_errors_and_isolation(client, ward, setup, other_ward, item):
    make_feedback_setup(other_ward)
    make_staff(other_ward, prefix="b_")
    one = both(client, f"/open311/v2/requests/{item.code}.json", {"jurisdiction_id": "20209"})
    validate(one, "requests.json")
    assert one[0]["service_request_id"] == item.code
    # another commune's jurisdiction does not show A's item, by id, list or token
    error_of(
        client.get(f"/open311/v2/requests/{item.code}.json", {"jurisdiction_id": str(other_ward.code)}), 404
    )
    listed = client.get(
        "/open311/v2/requests.json",
        {"jurisdiction_id": str(other_ward.code), "service_request_id": item.code},
    )
    assert listed.json() == []
    item.open311_token = "token-cua-a"
    item.save()
    error_of(
        client.get("/open311/v2/tokens/token-cua-a.json", {"jurisdiction_id": str(other_ward.code)}), 404
    )
    error_of(client.get("/open311/v2/requests/PA-KHONG-CO.json", {"jurisdiction_id": "20209"}), 404)
    error_of(client.get("/open311/v2/requests/" + "9" * 5000 + ".json", {"jurisdiction_id": "20209"}), 400)
    error_of(client.get("/open311/v2/requests/PA%00X.json", {"jurisdiction_id": "20209"}), 400)
    error_of(client.get("/open311/v2/tokens/" + "t" * 300 + ".json", {"jurisdiction_id": "20209"}), 400)
    # several communes serve feedback: without jurisdiction_id, the commune is the code's
    # (PA-<commune>-…), the token's its item's; otherwise a 400
    assert both(client, f"/open311/v2/requests/{item.code}.json")[0]["service_request_id"] == item.code
    assert both(client, "/open311/v2/tokens/token-cua-a.json") == [
        {"service_request_id": item.code, "token": "token-cua-a"}
    ]
    error_of(client.get(f"/open311/v2/requests/PA-{other_ward.code}-260210-0001.json"), 404)
    error_of(client.get("/open311/v2/requests/PA-99999-260210-0001.json"), 404)
    error_of(client.get("/open311/v2/requests/KHONG-CO.json"), 400)
    error_of(client.get("/open311/v2/tokens/khong-co.json"), 404)
    assert client.delete("/open311/v2/requests.json").status_code == 405


# ---- the operator's command --------------------------------------------------------------------


def test_open311_key_command_prints_a_working_key_last(client, ward, setup, pinned):
    out = io.StringIO()
    call_command("open311-key", "20209", "--name", "Ứng dụng Đà Nẵng", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    stored = Open311Key.objects.get()
    assert stored.name == "Ứng dụng Đà Nẵng" and stored.key_sha256 != raw and raw not in stored.key_sha256
    assert _post(client, **_form(raw, setup_for(ward))).status_code == 200
    out = io.StringIO()
    call_command("open311-key", "20209", "--revoke", "Ứng dụng Đà Nẵng", stdout=out)
    error_of(_post(client, **_form(raw, setup_for(ward))), 403)


def setup_for(ward):
    return make_feedback_setup(ward)


def test_open311_key_command_refuses_unknown_commune(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Không có xã, phường"):
        call_command("open311-key", "99999")
    with pytest.raises(CommandError, match="Không có xã, phường"):
        call_command("open311-key", "abc")
