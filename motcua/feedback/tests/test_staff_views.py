"""The feedback desk's staff screens (issue 9 §1): who sees which items, the inbox's filters and
order, a hotline item with photos, the steps as forms, the reporter's notices, the photos' reader
check, the reporter's contact masked to non-handlers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.core import clock
from motcua.feedback.models import Channel, FeedbackItem, FeedbackPhoto, PhotoKind, State
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, feedback_apply
from motcua.notify.models import Message
from motcua.org.models import DepartmentKind, Role
from motcua.testing import make_feedback_setup, make_staff, make_user

from .conftest import NOW
from .test_photos import make_png


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


@pytest.fixture
def people(ward, staff, setup):
    return {
        **staff,
        "head_office": make_user(ward, Role.DEPARTMENT_HEAD, "tp_vanphong", DepartmentKind.OFFICE),
    }


def _item(ward, setup, actor, category="chieu-sang", **kw):
    kw.setdefault("reporter", Reporter(name="Trần Văn Bình", phone="0905111222", email="binh@example.vn"))
    return feedback_create(commune=ward, channel=Channel.HOTLINE, category=setup["categories"][category],
                           title=kw.pop("title", "Đèn đường hẻm 12 bị hỏng"), now=kw.pop("now", NOW), actor=actor,
                           **kw)  # fmt: skip


def _codes(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("feedback:list") + query)
    assert response.status_code == 200
    return [i.code for i in response.context["page"].object_list]


# ------------------------------------------------------------------ who sees what


def test_inbox_scopes(client, ward, setup, people, other_ward):
    econ = _item(ward, setup, people["counter"], "chieu-sang")  # economic department
    office = _item(ward, setup, people["leader"], "an-ninh")  # office
    loose = _item(ward, setup, people["leader"], "khac")  # no department
    theirs = _item(other_ward, make_feedback_setup(other_ward), None, "khac")
    assert set(_codes(client, people["leader"])) == {econ.code, office.code, loose.code}
    assert set(_codes(client, people["head_econ"])) == {econ.code, loose.code}
    assert set(_codes(client, people["specialist_econ"])) == {econ.code}
    assert set(_codes(client, people["specialist_office"])) == {office.code}
    assert set(_codes(client, people["counter"])) == {econ.code}  # the one they took in
    assert theirs.code not in _codes(client, people["leader"])


@pytest.mark.parametrize("who", ["admin"])
def test_not_for_other_roles(client, people, who):
    client.force_login(people[who])
    assert client.get(reverse("feedback:list")).status_code == 403
    assert client.get(reverse("feedback:new")).status_code == 403


def test_anonymous_goes_to_login(client, db):
    response = client.get(reverse("feedback:list"))
    assert response.status_code == 302 and "dang-nhap" in response["Location"]


def test_another_commune_is_not_found(client, ward, setup, people, other_ward):
    item = _item(ward, setup, people["leader"])
    with_photo(item, people["leader"])
    photo = item.photos.get()
    theirs = make_staff(other_ward, prefix="ak_")
    client.force_login(theirs["leader"])
    assert client.get(reverse("feedback:detail", args=[item.pk])).status_code == 404
    assert client.get(reverse("feedback:photo", args=[photo.pk])).status_code == 404
    response = client.post(reverse("feedback:act", args=[item.pk, "reject"]), {"note": "x"})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == State.NEW


def test_other_department_is_not_found(client, ward, setup, people):
    item = _item(ward, setup, people["leader"])  # economic
    client.force_login(people["specialist_office"])
    assert client.get(reverse("feedback:detail", args=[item.pk])).status_code == 404


# ------------------------------------------------------------------ filters, order, pages


def test_filters_and_order(client, ward, setup, people):
    later = _item(ward, setup, people["leader"], "dat-dai", title="Lấn chiếm đất công")  # 15 days
    soon = _item(
        ward,
        setup,
        people["leader"],
        "rac-thai",
        title="Rác tồn đọng",
        neighbourhood=setup["neighbourhoods"][1],
    )
    late = _item(ward, setup, people["leader"], "chieu-sang", now=NOW - dt.timedelta(days=30))
    done = _item(ward, setup, people["leader"], "khac")
    feedback_apply(
        item=done, action=Action.REJECT, actor=people["leader"], now=NOW, data={"note": "Không rõ"}
    )
    leader = people["leader"]
    codes = _codes(client, leader)
    assert codes.index(late.code) < codes.index(soon.code) < codes.index(later.code)
    assert _codes(client, leader, "?qua_han=1") == [late.code]
    assert _codes(client, leader, "?trang_thai=REJECTED") == [done.code]
    assert done.code not in _codes(client, leader, "?trang_thai=open")
    assert _codes(client, leader, f"?linh_vuc={setup['categories']['dat-dai'].pk}") == [later.code]
    assert _codes(client, leader, f"?to_dan_pho={setup['neighbourhoods'][1].pk}") == [soon.code]
    assert _codes(client, leader, "?q=r%C3%A1c") == [soon.code]  # «rác»
    assert _codes(client, leader, f"?q={later.code}") == [later.code]
    # Nonsense parameters are ignored, never a 500.
    assert len(_codes(client, leader, "?linh_vuc=%00x&to_dan_pho=99999999999&trang_thai=BOGUS&q=%00")) == 4


def test_near_deadline_flag(client, ward, setup, people):
    item = _item(ward, setup, people["leader"], "rac-thai")  # 3 working days
    client.force_login(people["leader"])
    assert _codes(client, people["leader"], "?sap_han=1") == []
    feedback_apply(item=item, action="flag_near_deadline", actor=None, as_="system", now=NOW)  # type: ignore[arg-type]
    assert _codes(client, people["leader"], "?sap_han=1") == [item.code]
    response = client.get(reverse("feedback:list"))
    assert b'data-testid="near"' in response.content


def test_overdue_in_red(client, ward, setup, people):
    _item(ward, setup, people["leader"], now=NOW - dt.timedelta(days=30))
    client.force_login(people["leader"])
    content = client.get(reverse("feedback:list")).content.decode()
    assert 'class="fb-late"' in content and "Quá hạn" in content


def test_paginated(client, ward, setup, people):
    for n in range(31):
        _item(ward, setup, people["leader"], title=f"Phản ánh {n}")
    client.force_login(people["leader"])
    first = client.get(reverse("feedback:list") + "?trang_thai=NEW")
    assert len(first.context["page"].object_list) == 30
    second = client.get(reverse("feedback:list") + "?trang_thai=NEW&trang=2")
    assert len(second.context["page"].object_list) == 1
    assert "trang_thai=NEW&amp;trang=2" in first.content.decode()


# ------------------------------------------------------------------ new item


def _new_post(**over):
    data = {"channel": "HOTLINE", "title": "Cống bị tắc", "description": "Nước tràn ra đường", "address": "Hẻm 5",
            "latitude": "16.0544", "longitude": "108.2022", "reporter_name": "Lê Thị Hoa",
            "reporter_phone": "0905 333 444", "reporter_email": ""}  # fmt: skip
    data.update(over)
    return data


def test_new_hotline_item_with_photos(client, ward, setup, people, django_capture_on_commit_callbacks):
    client.force_login(people["counter"])
    post = _new_post(
        category=setup["categories"]["thoat-nuoc"].pk, neighbourhood=setup["neighbourhoods"][0].pk
    )
    post["photos"] = [
        SimpleUploadedFile("a.png", make_png(3, 3)),
        SimpleUploadedFile("b.png", make_png(4, 4)),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("feedback:new"), post)
    item = FeedbackItem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("feedback:detail", args=[item.pk])
    assert (item.channel, item.created_by, item.reporter_phone, str(item.latitude)) == (
        Channel.HOTLINE, people["counter"], "0905333444", "16.054400")  # fmt: skip
    assert [p.width for p in item.photos.all()] == [3, 4]
    assert all(
        p.kind == PhotoKind.REPORT and p.event and p.event.action == "create" for p in item.photos.all()
    )
    for p in item.photos.all():
        assert (Path(settings.UPLOAD_ROOT) / p.storage_path).exists()
    (message,) = Message.objects.all()
    assert message.recipient == "0905333444" and item.code in message.body
    assert message.dedupe_key.startswith(f"feedback:{item.pk}:event:")


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"title": "Cống\x00"}, "không hợp lệ"),
        ({"title": "x" * 201}, "tối đa 200"),
        ({"description": "x" * 4001}, "tối đa 4000"),
        ({"title": ""}, "Hãy nhập"),
        ({"channel": "ONLINE"}, "kênh"),
        ({"reporter_phone": "12345"}, "10 chữ số"),
        ({"latitude": "91", "longitude": "108"}, "Toạ độ"),
        ({"category": "abc"}, "không hợp lệ"),
        ({"category": ""}, "Hãy chọn lĩnh vực"),
        ({"neighbourhood": "99999"}, "không hợp lệ"),
    ],
)
def test_new_refused_clearly(client, ward, setup, people, over, says):
    client.force_login(people["counter"])
    post = _new_post(category=setup["categories"]["thoat-nuoc"].pk)
    post.update(over)
    response = client.post(reverse("feedback:new"), post)
    assert response.status_code == 422
    assert says in response.content.decode()
    assert not FeedbackItem.objects.exists() and not Message.objects.exists()


def test_new_with_a_bad_photo_writes_nothing(client, ward, setup, people):
    client.force_login(people["counter"])
    post = _new_post(category=setup["categories"]["thoat-nuoc"].pk)
    post["photos"] = [SimpleUploadedFile("a.png", make_png()), SimpleUploadedFile("x.png", b"<html>")]
    response = client.post(reverse("feedback:new"), post)
    assert response.status_code == 422 and "«x.png»" in response.content.decode()
    assert not FeedbackItem.objects.exists() and not FeedbackPhoto.objects.exists()
    post["photos"] = [SimpleUploadedFile(f"{n}.png", make_png()) for n in range(4)]
    assert "Tối đa 3 ảnh" in client.post(reverse("feedback:new"), post).content.decode()


def test_new_other_communes_category_refused(client, ward, setup, people, other_ward):
    theirs = make_feedback_setup(other_ward)
    client.force_login(people["counter"])
    response = client.post(reverse("feedback:new"), _new_post(category=theirs["categories"]["khac"].pk))
    assert response.status_code == 422 and not FeedbackItem.objects.exists()


# ------------------------------------------------------------------ detail and steps


def with_photo(item, actor):
    from django.db import transaction

    from motcua.feedback import photos

    with transaction.atomic():
        photos.photos_attach(item=item, photos=[photos.inspect(make_png(2, 3))], actor=actor, now=NOW)


def test_detail_contact_to_handlers_only(client, ward, setup, people):
    item = _item(ward, setup, people["counter"])
    for who in ("leader", "head_econ", "specialist_econ"):
        client.force_login(people[who])
        content = client.get(reverse("feedback:detail", args=[item.pk])).content.decode()
        assert "0905111222" in content and "Trần Văn Bình" in content and "binh@example.vn" in content
    client.force_login(people["counter"])  # took it in, but does not handle it
    content = client.get(reverse("feedback:detail", args=[item.pk])).content.decode()
    assert "0905111222" not in content and "Trần Văn Bình" not in content and "binh@example.vn" not in content
    assert "22" in content and "(đã ẩn)" in content


def test_detail_shows_history_and_allowed_steps(client, ward, setup, people):
    item = _item(ward, setup, people["counter"])
    feedback_apply(item=item, action=Action.ASSIGN, actor=people["leader"], now=NOW,
                   data={"assignee": people["specialist_econ"]})  # fmt: skip
    client.force_login(people["specialist_econ"])
    response = client.get(reverse("feedback:detail", args=[item.pk]))
    content = response.content.decode()
    assert [a["t"].action for a in response.context["acts"]] == [Action.START, Action.RESOLVE]
    assert "Tiếp nhận" in content and "Giao xử lý" in content and "Đã giao xử lý" in content
    assert reverse("feedback:act", args=[item.pk, "resolve"]) in content
    assert reverse("feedback:act", args=[item.pk, "assign"]) not in content


def test_assign_then_resolve_with_photo_notifies(
    client, ward, setup, people, django_capture_on_commit_callbacks
):
    item = _item(ward, setup, people["counter"])
    client.force_login(people["head_econ"])
    response = client.post(reverse("feedback:act", args=[item.pk, "assign"]),
                           {"department": "", "assignee": people["specialist_econ"].pk, "note": ""})  # fmt: skip
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.assignee) == (State.ASSIGNED, people["specialist_econ"])
    client.force_login(people["specialist_econ"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("feedback:act", args=[item.pk, "resolve"]),
                    {"note": "Đã thay bóng đèn", "photos": [SimpleUploadedFile("kq.png", make_png(5, 5))]})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.resolution) == (State.RESOLVED, "Đã thay bóng đèn")
    (photo,) = item.photos.all()
    assert photo.event is not None
    assert (photo.kind, photo.event.action, photo.uploaded_by) == (
        PhotoKind.RESOLUTION, "resolve", people["specialist_econ"])  # fmt: skip
    bodies = list(Message.objects.filter(channel="EMAIL").order_by("id").values_list("dedupe_key", "body"))
    events = {e.action: e.pk for e in item.events.all()}
    assert [k for k, _ in bodies] == [  # created outside the desk: no «received» notice here
        f"feedback:{item.pk}:event:{events['assign']}:email",
        f"feedback:{item.pk}:event:{events['resolve']}:email",
    ]
    assert f"Phản ánh {item.code}: Đã giải quyết" in bodies[-1][1]
    assert Message.objects.filter(recipient="0905111222").count() == 2
    # The photo is served to the item's handlers, not to another department.
    response = client.get(reverse("feedback:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.force_login(people["specialist_office"])
    assert client.get(reverse("feedback:photo", args=[photo.pk])).status_code == 404


def test_no_notice_when_opted_out_or_no_state_change(client, ward, setup, people):
    item = _item(ward, setup, people["counter"])
    FeedbackItem.objects.filter(pk=item.pk).update(notify_opt_out=True)
    before = Message.objects.count()
    client.force_login(people["leader"])
    client.post(reverse("feedback:act", args=[item.pk, "reject"]), {"note": "Không thuộc thẩm quyền"})
    item.refresh_from_db()
    assert item.state == State.REJECTED and Message.objects.count() == before


def test_steps_refused_clearly(client, ward, setup, people):
    item = _item(ward, setup, people["counter"])
    client.force_login(people["leader"])
    url = reverse("feedback:detail", args=[item.pk])
    for action, post, says in [
        ("resolve", {"note": "x"}, "Không thể"),  # not from NEW: a Conflict, shown
        ("reject", {"note": ""}, "Hãy ghi"),
        ("reject", {"note": "x\x00"}, "không hợp lệ"),
        ("duplicate", {"original": "PA-KHONG-CO"}, "Không có phản ánh mã"),
        ("assign", {"department": "999999"}, "không hợp lệ"),
        ("explode", {}, "không tồn tại"),
        ("reject", {"note": "x", "photos": [SimpleUploadedFile("a.png", make_png())]}, "Chỉ đính kèm ảnh"),
    ]:
        response = client.post(reverse("feedback:act", args=[item.pk, action]), post, follow=True)
        assert response.redirect_chain[-1][0] == url
        assert says in response.content.decode(), action
    item.refresh_from_db()
    assert item.state == State.NEW and item.events.count() == 1 and not item.photos.exists()


def test_step_not_allowed_is_403_and_get_is_405(client, ward, setup, people):
    item = _item(ward, setup, people["counter"])
    client.force_login(people["counter"])
    assert client.post(reverse("feedback:act", args=[item.pk, "reject"]), {"note": "x"}).status_code == 403
    assert client.get(reverse("feedback:act", args=[item.pk, "reject"])).status_code == 405


def test_duplicate_by_code(client, ward, setup, people):
    original = _item(ward, setup, people["counter"])
    item = _item(ward, setup, people["counter"])
    client.force_login(people["leader"])
    client.post(reverse("feedback:act", args=[item.pk, "duplicate"]), {"original": original.code.lower()})
    item.refresh_from_db()
    assert (item.state, item.duplicate_of) == (State.DUPLICATE, original)


def test_navigation_entry_for_feedback_staff(client, people):
    url = reverse("feedback:list")
    for who, shown in (("leader", True), ("head_econ", True), ("specialist_office", True), ("counter", True),
                       ("admin", False)):  # fmt: skip
        client.force_login(people[who])
        page = client.get(reverse("dossiers:search") if who != "admin" else reverse("org:admin_home"))
        assert (f'href="{url}"' in page.content.decode()) is shown, who
