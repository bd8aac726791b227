"""Volunteers (issue 11 §7): the rules, the counts on a hand-written fixture (name matching, the
shift window), the recording link's token, who may, NUL / over-long input, Excel without formulas."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from motcua.core import clock
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.dossiers.models import Channel, Dossier
from motcua.dossiers.services import Applicant, dossier_create_draft
from motcua.org.models import DepartmentKind, Role
from motcua.staffing import volunteers as V
from motcua.staffing.models import HelpKind, VolunteerHelp, VolunteerMember, VolunteerShift, VolunteerTeam
from motcua.testing import make_commune, make_procedure, make_staff, make_user

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date(2026, 6, 10)  # a Wednesday


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


@pytest.fixture
def ward():
    commune = make_commune()
    staff = make_staff(commune)
    staff["center_head"] = make_user(commune, Role.DEPARTMENT_HEAD, "tp_ttpv", DepartmentKind.SERVICE_CENTER)
    a = VolunteerTeam.objects.create(commune=commune, name="Đội A", campaign="Mùa hè xanh 2026")
    b = VolunteerTeam.objects.create(commune=commune, name="Đội B")
    an = VolunteerMember.objects.create(team=a, full_name="Nguyễn Văn An", phone="0905123456")
    binh = VolunteerMember.objects.create(team=a, full_name="Trần Thị Bình")
    cuong = VolunteerMember.objects.create(team=b, full_name="Lê Văn Cường")
    return {"commune": commune, "staff": staff, "a": a, "b": b, "an": an, "binh": binh, "cuong": cuong}


def shift(team, day, starts, ends, *members):
    s = VolunteerShift.objects.create(team=team, day=day, starts=dt.time(*starts), ends=dt.time(*ends))
    s.members.set(members)
    return s


def assisted(commune, name, when, *, online=False, helped=True):
    d = dossier_create_draft(
        commune=commune, procedure=make_procedure(), applicant=Applicant(name="Hồ Văn Dân", phone="0905000111"),
        form_data={}, channel=Channel.ONLINE if online else Channel.IN_PERSON, now=when,
        assisted_by_volunteer=helped, volunteer_name=name,
    )  # fmt: skip
    if not online:
        Dossier.objects.filter(pk=d.pk).update(first_received_at=when)
    return d


# --------------------------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------------------------


def test_counts_per_team_and_shift_match_names_and_keep_to_the_shift_window(ward):
    commune, a, b = ward["commune"], ward["a"], ward["b"]
    morning = shift(a, D, (7, 30), (11, 30), ward["an"], ward["binh"])
    afternoon = shift(b, D, (13, 30), (17, 0), ward["cuong"])
    for _ in range(2):
        VolunteerHelp.objects.create(shift=morning, kind=HelpKind.GUIDANCE, at=at(D, 8))
    VolunteerHelp.objects.create(shift=afternoon, kind=HelpKind.ONLINE, at=at(D, 14))
    assisted(commune, "nguyen van an (Đoàn phường)", at(D, 8))  # A, folded, words inside
    assisted(commune, "LÊ VĂN CƯỜNG", at(D, 14), online=True)  # B, an online application
    assisted(commune, "Phạm Thị Dung", at(D, 9))  # nobody's name → unknown
    assisted(commune, "Lê Văn Cường", at(D, 9, 30))  # B's member, but B is not on shift then
    assisted(commune, "Nguyễn Văn Anh", at(D, 10))  # not An: whole words only → unknown
    assisted(commune, "", at(D, 10, 30))  # no name → unknown
    assisted(commune, "Nguyễn Văn An", at(D, 12))  # between the shifts → outside
    assisted(commune, "Nguyễn Văn An", at(D, 11, 30))  # the shift ends at 11:30 → outside
    assisted(commune, "Nguyễn Văn An", at(D, 8), helped=False)  # not marked → not counted
    assisted(commune, "Nguyễn Văn An", at(D + dt.timedelta(days=1), 8))  # next day: no shift
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    assisted(other, "Nguyễn Văn An", at(D, 8))  # another commune's dossier

    leader = ward["staff"]["leader"]
    c = V.volunteer_counts(user=leader, period=V.period_of("ngay", D))
    teams = {t.label: t for t in c.teams}
    assert teams["Đội A"].helps[HelpKind.GUIDANCE] == 2
    assert (teams["Đội A"].dossiers, teams["Đội A"].online, teams["Đội A"].total) == (1, 0, 3)
    assert (teams["Đội B"].help_total, teams["Đội B"].dossiers, teams["Đội B"].online) == (1, 0, 1)
    assert (c.unknown.label, c.unknown.dossiers, c.unknown.online) == ("Không rõ đội", 4, 0)
    assert c.outside == 2
    shifts = {t.shift_id: t for t in c.shifts}
    assert (shifts[morning.pk].total, shifts[afternoon.pk].total) == (3, 2)
    assert c.total.total == 3 + 2 + 4

    week = V.volunteer_counts(user=leader, period=V.period_of("tuan", D))
    assert week.period.start == dt.date(2026, 6, 8) and week.period.end == dt.date(2026, 6, 14)
    assert week.outside == 3 and week.total.total == 9
    month = V.volunteer_counts(user=leader, period=V.period_of("thang", D))
    assert (month.period.start, month.period.end) == (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    before = V.volunteer_counts(user=leader, period=V.period_of("ngay", D - dt.timedelta(days=1)))
    assert before.total.total == 0 and before.shifts == []


def test_name_matching_is_folded_and_whole_words():
    assert V.name_matches("Nguyễn Văn An (Đội thanh niên phường)", "nguyen van an")
    assert V.name_matches("NGUYEN  VAN  AN", "Nguyễn Văn An")
    assert not V.name_matches("Nguyễn Văn Anh", "Nguyễn Văn An")
    assert not V.name_matches("", "Nguyễn Văn An")


# --------------------------------------------------------------------------------------------
# rules: teams, members, shifts
# --------------------------------------------------------------------------------------------


def test_a_member_cannot_be_on_two_overlapping_shifts(ward):
    head = ward["staff"]["center_head"]
    first = V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(
        team_id=ward["a"].pk, day=D.isoformat(), starts="07:30", ends="11:30", member_ids=(ward["an"].pk,)))  # fmt: skip
    assert list(first.members.all()) == [ward["an"]]
    with pytest.raises(ValidationFailed, match="Nguyễn Văn An đã có ca 07:30–11:30") as exc:
        V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(
            team_id=ward["a"].pk, day=D.isoformat(), starts="10:00", ends="12:00",
            member_ids=(ward["an"].pk, ward["binh"].pk)))  # fmt: skip
    assert exc.value.code == "overlap"
    # Back to back is not an overlap; another day is fine; changing the shift itself is fine.
    V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(team_id=ward["a"].pk, day=D.isoformat(), starts="11:30",
                                               ends="16:00", member_ids=(ward["an"].pk,)))  # fmt: skip
    V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(team_id=ward["a"].pk, day="2026-06-11", starts="08:00",
                                               ends="10:00", member_ids=(ward["an"].pk,)))  # fmt: skip
    V.shift_save(now=at(D, 7), actor=head, shift=first, data=V.ShiftInput(day=D.isoformat(), starts="08:00", ends="11:00",
                                                            member_ids=(ward["an"].pk,)))  # fmt: skip
    assert VolunteerShift.objects.count() == 3


def test_shift_hours_within_the_centers_opening_and_members_of_the_team(ward):
    head = ward["staff"]["center_head"]

    def save(**kw):
        data = {"team_id": ward["a"].pk, "day": D.isoformat(), "starts": "07:30", "ends": "11:30"} | kw
        return V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(**data))

    for kw, code in [
        ({"starts": "06:30"}, "hours"),
        ({"ends": "17:30"}, "hours"),
        ({"starts": "11:00", "ends": "09:00"}, "order"),
        ({"starts": "7h"}, "bad_time"),
        ({"day": "10/06/2026"}, "bad_date"),
        ({"member_ids": (ward["cuong"].pk,)}, "members"),  # team B's member
        ({"team_id": "x"}, "team"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            save(**kw)
        assert exc.value.code == code, kw
    ward["binh"].active = False
    ward["binh"].save()
    with pytest.raises(ValidationFailed):
        save(member_ids=(ward["binh"].pk,))
    assert save(starts="13:30", ends="17:00").ends == dt.time(17, 0)


def test_phone_must_be_a_vietnamese_mobile(ward):
    admin, team = ward["staff"]["admin"], ward["a"]
    m = V.member_add(actor=admin, team=team, full_name=" Võ  Thị Hoa ", phone="+84 905.123.457")
    assert (m.full_name, m.phone) == ("Võ Thị Hoa", "0905123457")
    for bad in ("0236123456", "090512345", "12345678901", "0905-abc-123"):
        with pytest.raises(ValidationFailed, match="số di động Việt Nam"):
            V.member_add(actor=admin, team=team, full_name="Hoa", phone=bad)
    with pytest.raises(ValidationFailed, match="di động"):
        V.team_create(actor=admin, data=V.TeamInput(name="Đội C", leader_phone="0236 3821 234"))


def test_nul_and_over_long_inputs_are_refused_in_vietnamese(ward):
    admin = ward["staff"]["admin"]
    with pytest.raises(ValidationFailed, match="Tên đội có ký tự không hợp lệ"):
        V.team_create(actor=admin, data=V.TeamInput(name="Đội\x00A"))
    with pytest.raises(ValidationFailed, match="Tên đội dài quá 200 ký tự"):
        V.team_create(actor=admin, data=V.TeamInput(name="Đ" * 201))
    with pytest.raises(ValidationFailed, match="Họ và tên dài quá 150"):
        V.member_add(actor=admin, team=ward["a"], full_name="A" * 151, phone="")
    with pytest.raises(ValidationFailed, match="Ghi chú có ký tự không hợp lệ"):
        V.shift_save(now=at(D, 7), actor=admin, data=V.ShiftInput(team_id=ward["a"].pk, day=D.isoformat(), starts="07:30",
                                                    ends="08:30", note="x\x00"))  # fmt: skip
    s = shift(ward["a"], D, (7, 30), (11, 30))
    with pytest.raises(ValidationFailed, match="Ghi chú dài quá 300"):
        V.help_record(shift=s, kind=HelpKind.ONLINE, member_id="", note="x" * 301, now=at(D, 8))
    with pytest.raises(ValidationFailed, match="không ghi số điện thoại"):
        V.help_record(shift=s, kind=HelpKind.ONLINE, member_id="", note="bà Lan 0905 123 456", now=at(D, 8))
    with pytest.raises(ValidationFailed, match="Chưa chọn loại"):
        V.help_record(shift=s, kind="X\x00", member_id="", note="", now=at(D, 8))
    with pytest.raises(ValidationFailed, match="không có trong ca"):
        V.help_record(shift=s, kind=HelpKind.ONLINE, member_id=ward["cuong"].pk, note="", now=at(D, 8))


def test_views_answer_nul_and_over_long_input_with_422_never_500(client, ward):
    client.force_login(ward["staff"]["admin"])
    assert client.post("/nhan-su/tinh-nguyen/doi/moi/", {"name": "A\x00"}).status_code == 422
    assert client.post("/nhan-su/tinh-nguyen/doi/moi/", {"name": "A" * 5000}).status_code == 422
    url = f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/thanh-vien/"
    assert client.post(url, {"full_name": "B\x00"}).status_code == 422
    assert client.post(url, {"full_name": "B", "phone": "0" * 500}).status_code == 422
    shift_url = "/nhan-su/tinh-nguyen/ca/moi/"
    resp = client.post(shift_url, {"team": ward["a"].pk, "day": "\x00", "starts": "07:30", "ends": "08:00"})
    assert resp.status_code == 422
    assert "Ngày có ký tự không hợp lệ" in resp.content.decode()
    assert client.get("/nhan-su/tinh-nguyen/so-lieu/?ky=\x00&ngay=" + "9" * 500).status_code == 200


# --------------------------------------------------------------------------------------------
# the recording link
# --------------------------------------------------------------------------------------------


def test_the_token_works_for_its_shift_on_its_day_only(client, ward):
    head = ward["staff"]["center_head"]
    today = shift(ward["a"], D, (7, 30), (11, 30), ward["an"])
    other = shift(ward["b"], D, (7, 30), (11, 30), ward["cuong"])
    raw = V.shift_issue_token(actor=head, shift=today, now=at(D, 7))
    other_raw = V.shift_issue_token(actor=head, shift=other, now=at(D, 7))
    today.refresh_from_db()
    assert raw not in today.token_hash and len(today.token_hash) == 64  # only the hash is kept
    assert V.shift_by_token(pk=today.pk, token=raw, now=at(D, 9)) == today
    with pytest.raises(NotFound):
        V.shift_by_token(pk=today.pk, token=other_raw, now=at(D, 9))  # another shift's token
    with pytest.raises(NotAllowed, match="chỉ dùng được trong ngày 10/06/2026"):
        V.shift_by_token(pk=today.pk, token=raw, now=at(D + dt.timedelta(days=1), 8))  # expired
    with pytest.raises(NotAllowed):
        V.shift_by_token(pk=today.pk, token=raw, now=at(D - dt.timedelta(days=1), 8))
    # A new token replaces the old one.
    fresh = V.shift_issue_token(actor=head, shift=today, now=at(D, 8))
    with pytest.raises(NotFound):
        V.shift_by_token(pk=today.pk, token=raw, now=at(D, 9))
    # Through the page: one tap, one help; another commune's shift with our token: 404.
    url = f"/nhan-su/tinh-nguyen/ca/{today.pk}/ghi-nhan/{fresh}/"
    with clock.pinned(at(D, 9)):
        page = client.get(url)
        assert page.status_code == 200 and "Hướng dẫn, đưa đón người cao tuổi" in page.content.decode()
        resp = client.post(url, {"kind": HelpKind.GUIDANCE, "member": ward["an"].pk})
        assert resp.status_code == 302
        assert client.get(resp["Location"]).content.decode().count("Đã ghi nhận") == 1
        assert client.get(f"/nhan-su/tinh-nguyen/ca/{other.pk}/ghi-nhan/{fresh}/").status_code == 404
        b_commune = make_commune(20305, "Phường An Khê", "H48.20305")
        b_team = VolunteerTeam.objects.create(commune=b_commune, name="Đội An Khê")
        b_shift = shift(b_team, D, (7, 30), (11, 30))
        b_head = make_user(b_commune, Role.ADMIN, "ak_quantri")
        b_raw = V.shift_issue_token(actor=b_head, shift=b_shift, now=at(D, 7))
        assert client.get(f"/nhan-su/tinh-nguyen/ca/{today.pk}/ghi-nhan/{b_raw}/").status_code == 404
        assert client.post(f"/nhan-su/tinh-nguyen/ca/{b_shift.pk}/ghi-nhan/{fresh}/",
                           {"kind": "ONLINE"}).status_code == 404  # fmt: skip
    with clock.pinned(at(D + dt.timedelta(days=1), 8)):
        assert client.post(url, {"kind": HelpKind.ONLINE}).status_code == 403
    help_ = VolunteerHelp.objects.get()
    assert (help_.shift, help_.member, help_.kind) == (today, ward["an"], HelpKind.GUIDANCE)


def test_the_shift_page_shows_the_qr_once_when_a_manager_issues_it(client, ward, settings):
    settings.MOTCUA_PUBLIC_URL = "https://motcua.example.vn"
    s = shift(ward["a"], D, (7, 30), (11, 30))
    client.force_login(ward["staff"]["center_head"])
    with clock.pinned(at(D, 7)):
        page = client.post(f"/nhan-su/tinh-nguyen/ca/{s.pk}/ma-ghi-nhan/").content.decode()
        link = re.search(
            r'href="(https://motcua\.example\.vn/nhan-su/tinh-nguyen/ca/\d+/ghi-nhan/[^"]+)"', page
        )
        assert link and "<svg" in page
        assert (
            link.group(1).split("/")[-2]
            not in client.get(f"/nhan-su/tinh-nguyen/ca/{s.pk}/").content.decode()
        )
    client.force_login(ward["staff"]["counter"])
    assert client.post(f"/nhan-su/tinh-nguyen/ca/{s.pk}/ma-ghi-nhan/").status_code == 403
    with clock.pinned(at(D + dt.timedelta(days=1), 7)):
        client.force_login(ward["staff"]["admin"])
        assert client.post(f"/nhan-su/tinh-nguyen/ca/{s.pk}/ma-ghi-nhan/").status_code == 422


# --------------------------------------------------------------------------------------------
# who may
# --------------------------------------------------------------------------------------------


def test_who_manages_what(client, ward):
    staff = ward["staff"]
    for who in ("admin", "leader"):
        client.force_login(staff[who])
        assert client.post("/nhan-su/tinh-nguyen/doi/moi/", {"name": f"Đội {who}"}).status_code == 302
    for who in ("center_head", "head_econ", "counter"):
        client.force_login(staff[who])
        assert client.post("/nhan-su/tinh-nguyen/doi/moi/", {"name": "Đội X"}).status_code == 403
        url = f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/thanh-vien/"
        assert client.post(url, {"full_name": "X"}).status_code == 403
    data = {"team": ward["a"].pk, "day": D.isoformat(), "starts": "07:30", "ends": "09:00"}
    client.force_login(staff["center_head"])
    assert client.post("/nhan-su/tinh-nguyen/ca/moi/", data).status_code == 302
    for who in ("head_econ", "counter", "specialist_econ"):
        client.force_login(staff[who])
        assert client.post("/nhan-su/tinh-nguyen/ca/moi/", data | {"day": "2026-06-11"}).status_code == 403
    assert VolunteerTeam.objects.filter(name__startswith="Đội X").count() == 0
    assert VolunteerShift.objects.count() == 1


def test_phones_are_shown_only_to_those_managing_volunteers(client, ward):
    url = f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/"
    client.force_login(ward["staff"]["admin"])
    assert "0905123456" in client.get(url).content.decode()
    client.force_login(ward["staff"]["counter"])
    page = client.get(url).content.decode()
    assert "0905123456" not in page and "********56" in page and "Nguyễn Văn An" in page


def test_another_communes_staff_get_404_and_a_province_officer_403(client, ward):
    s = shift(ward["a"], D, (7, 30), (11, 30), ward["an"])
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    outsider = make_user(other, Role.ADMIN, "ak_quantri")
    client.force_login(outsider)
    for url in (f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/", f"/nhan-su/tinh-nguyen/ca/{s.pk}/",
                f"/nhan-su/tinh-nguyen/thanh-vien/{ward['an'].pk}/trang-thai/"):  # fmt: skip
        assert client.post(url, {"name": "Đổi", "active": "0"}).status_code == 404
    resp = client.post("/nhan-su/tinh-nguyen/ca/moi/", {"team": ward["a"].pk, "day": D.isoformat(),
                                                        "starts": "07:30", "ends": "08:00"})  # fmt: skip
    assert resp.status_code == 422 and VolunteerShift.objects.count() == 1
    page = client.get("/nhan-su/tinh-nguyen/so-lieu/?ky=thang&ngay=2026-06-10").content.decode()
    assert "Đội A" not in page
    province = make_user(None, Role.PROVINCE_OFFICER, "so_noivu")
    province.province = ward["commune"].province
    province.save()
    client.force_login(province)
    assert client.get("/nhan-su/tinh-nguyen/").status_code == 403
    assert client.get(f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/").status_code == 403
    ward["a"].refresh_from_db()
    assert ward["a"].name == "Đội A" and VolunteerMember.objects.get(pk=ward["an"].pk).active


# --------------------------------------------------------------------------------------------
# the counts page and its workbook
# --------------------------------------------------------------------------------------------


def test_counts_page_has_a_chart_with_a_table_and_the_workbook_holds_no_formula(client, ward):
    ward["a"].name = '=HYPERLINK("http://x")'
    ward["a"].save()
    s = shift(ward["a"], D, (7, 30), (11, 30), ward["an"])
    VolunteerHelp.objects.create(shift=s, kind=HelpKind.DOSSIER, at=at(D, 8))
    assisted(ward["commune"], "Nguyễn Văn An", at(D, 9))
    client.force_login(ward["staff"]["leader"])
    page = client.get("/nhan-su/tinh-nguyen/so-lieu/?ky=ngay&ngay=2026-06-10").content.decode()
    assert "<svg" in page and 'role="img"' in page and "<table>" in page and "ngày 10/06/2026" in page
    resp = client.get("/nhan-su/tinh-nguyen/so-lieu/xuat-excel/?ky=tuan&ngay=2026-06-10")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["Theo đội", "Theo ca"]
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    rows = [[c.value for c in row] for row in wb["Theo đội"].iter_rows()]
    team_row = next(r for r in rows if r[0] == '=HYPERLINK("http://x")')
    assert team_row[1:] == [0, 1, 0, 1, 1, 0, 2]
    assert rows[1][0] == "Kỳ: tuần 08/06/2026–14/06/2026"


def test_every_page_renders_for_a_manager_and_the_hub_links_them(client, ward):
    s = shift(ward["a"], D, (7, 30), (11, 30), ward["an"])
    client.force_login(ward["staff"]["admin"])
    hub = client.get("/nhan-su/").content.decode()
    assert 'href="/nhan-su/tinh-nguyen/"' in hub and 'href="/nhan-su/tinh-nguyen/so-lieu/"' in hub
    with clock.pinned(at(D, 9)):
        pages = {
            "/nhan-su/tinh-nguyen/": ["Đội A", "Nguyễn Văn An", "Thêm đội tình nguyện", "Xếp ca trực"],
            "/nhan-su/tinh-nguyen/doi/moi/": ["Chiến dịch (ví dụ: Mùa hè xanh 2026)"],
            f"/nhan-su/tinh-nguyen/doi/{ward['a'].pk}/": ["Mùa hè xanh 2026", "Thêm thành viên", "Cho ngừng"],
            f"/nhan-su/tinh-nguyen/ca/moi/?doi={ward['a'].pk}": ["Lê Văn Cường", "07:30–17:00"],
            f"/nhan-su/tinh-nguyen/ca/{s.pk}/": ["Cấp mã QR ghi nhận", "Sửa ca trực", "Xóa ca trực"],
            "/nhan-su/tinh-nguyen/so-lieu/": ["Theo đội", "Theo ca", "Không rõ đội", "Tải Excel"],
        }
        for url, texts in pages.items():
            resp = client.get(url)
            page = resp.content.decode()
            assert resp.status_code == 200, url
            assert all(t in page for t in texts), (url, [t for t in texts if t not in page])
            assert " style=" not in page, url
    client.force_login(ward["staff"]["counter"])
    page = client.get(f"/nhan-su/tinh-nguyen/ca/{s.pk}/").content.decode()
    assert "Nguyễn Văn An" in page and "Cấp mã" not in page and "Sửa ca trực" not in page


# --------------------------------------------------------------------------------------------
# review findings: extreme dates, moving a shift, huge ids
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "ky=thang&ngay=9999-12-15",
        "ky=tuan&ngay=9999-12-31",
        "ky=ngay&ngay=9999-12-31",
        "ky=tuan&ngay=0001-01-01",
        "ky=ngay&ngay=0001-01-01",
        "ky=thang&ngay=1999-12-31",
        "ky=tuan&ngay=2101-01-01",
    ],
)
def test_counts_for_a_day_outside_2000_2100_is_a_vietnamese_422(client, ward, query):
    client.force_login(ward["staff"]["leader"])
    for url in ("/nhan-su/tinh-nguyen/so-lieu/", "/nhan-su/tinh-nguyen/so-lieu/xuat-excel/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422
        assert "từ năm 2000 đến năm 2100" in response.content.decode()
    edge = query.rsplit("=", 1)[0] + "=2100-12-31"
    assert client.get(f"/nhan-su/tinh-nguyen/so-lieu/?{edge}").status_code == 200


def test_a_shift_day_is_within_a_year_of_today(client, ward):
    head = ward["staff"]["center_head"]
    for day in ("9999-12-31", "0001-01-01", "2027-06-12", "2025-06-08"):
        with pytest.raises(ValidationFailed, match="trong vòng một năm") as exc:
            V.shift_save(now=at(D, 7), actor=head, data=V.ShiftInput(team_id=ward["a"].pk, day=day, starts="07:30",
                                                                     ends="11:30"))  # fmt: skip
        assert exc.value.code == "far_date"
    client.force_login(head)
    with clock.pinned(at(D, 7)):
        response = client.post("/nhan-su/tinh-nguyen/ca/moi/", {"team": ward["a"].pk, "day": "9999-12-31",
                                                                "starts": "08:00", "ends": "09:00"})  # fmt: skip
    assert response.status_code == 422 and "trong vòng một năm" in response.content.decode()
    assert not VolunteerShift.objects.exists()


def test_moving_a_shift_to_another_day_clears_its_link_and_is_refused_once_helps_are_recorded(ward):
    head = ward["staff"]["center_head"]
    s = shift(ward["a"], D, (7, 30), (11, 30), ward["an"])
    raw = V.shift_issue_token(actor=head, shift=s, now=at(D, 7))
    data = {"day": D.isoformat(), "starts": "07:30", "ends": "11:00", "member_ids": (ward["an"].pk,)}
    V.shift_save(now=at(D, 7), actor=head, shift=s, data=V.ShiftInput(**data))  # same day: the link stays
    assert V.shift_by_token(pk=s.pk, token=raw, now=at(D, 9)) == s
    tomorrow = D + dt.timedelta(days=1)
    moved = V.shift_save(
        now=at(D, 7), actor=head, shift=s, data=V.ShiftInput(**data | {"day": tomorrow.isoformat()})
    )
    assert (moved.day, moved.token_hash, moved.token_issued_at) == (tomorrow, "", None)
    with pytest.raises(NotFound):
        V.shift_by_token(pk=s.pk, token=raw, now=at(tomorrow, 9))  # the old link does not open it
    VolunteerHelp.objects.create(shift=moved, kind=HelpKind.GUIDANCE, at=at(tomorrow, 9))
    with pytest.raises(ValidationFailed, match="không đổi sang ngày khác") as exc:
        V.shift_save(
            now=at(D, 7), actor=head, shift=moved, data=V.ShiftInput(**data | {"day": D.isoformat()})
        )
    assert exc.value.code == "has_helps"
    s.refresh_from_db()
    assert s.day == tomorrow
    # Hours may still change on its own day.
    V.shift_save(
        now=at(D, 7), actor=head, shift=moved, data=V.ShiftInput(**data | {"day": tomorrow.isoformat()})
    )


def test_huge_or_non_ascii_ids_in_the_shift_form_are_a_message_not_a_500(client, ward):
    client.force_login(ward["staff"]["center_head"])
    url = "/nhan-su/tinh-nguyen/ca/moi/"
    base = {"team": ward["a"].pk, "day": D.isoformat(), "starts": "08:00", "ends": "09:00"}
    with clock.pinned(at(D, 7)):
        for bad in ({"members": ["99999999999999999999"]}, {"members": ["²"]}, {"team": "99999999999999999999"},
                    {"team": "²"}):  # fmt: skip
            response = client.post(url, base | bad)
            assert response.status_code == 422, bad
    assert not VolunteerShift.objects.exists()
