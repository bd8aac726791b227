"""An item's life through the one transition function (issue 9 §2): created with its code and
deadline, assigned, resolved, rated by the reporter; who may take which step."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.feedback.models import Channel, FeedbackEvent, State
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, Actor, feedback_apply

from .conftest import NOW


def _item(ward, setup, staff, **kw):
    return feedback_create(
        commune=ward, channel=Channel.SESSION, category=setup["categories"]["chieu-sang"],
        title="Đèn đường hẻm 12 bị hỏng", now=NOW, neighbourhood=setup["neighbourhoods"][0],
        reporter=Reporter(name="Trần Văn Bình", phone="0905 111 222"), actor=staff["leader"], **kw,
    )  # fmt: skip


def test_created_with_code_deadline_and_first_event(ward, setup, staff):
    item = _item(ward, setup, staff)
    assert item.code == "PA-20209-260210-0001" and item.state == State.NEW
    # Chiếu sáng: 5 working days after Tuesday 10/02/2026 — 11, 12, 13, then the weekend and Tết
    # (16–20/02) are skipped — 23, 24: the end of office hours on 24/02.
    assert item.due_at.astimezone(NOW.tzinfo).date() == dt.date(2026, 2, 24)
    assert item.reporter_phone == "0905111222"
    assert list(item.events.values_list("action", "to_state")) == [("create", State.NEW)]
    assert _item(ward, setup, staff).code == "PA-20209-260210-0002"


def test_assign_resolve_rate(ward, setup, staff):
    item = _item(ward, setup, staff)
    head = staff["head_econ"]
    feedback_apply(item=item, action=Action.ASSIGN, actor=staff["leader"], now=NOW,
                   data={"department": head.department})  # fmt: skip
    feedback_apply(item=item, action=Action.START, actor=staff["specialist_econ"], now=NOW)
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action=Action.RESOLVE, actor=staff["specialist_econ"], now=NOW)
    feedback_apply(item=item, action=Action.RESOLVE, actor=staff["specialist_econ"], now=NOW,
                   data={"note": "Đã thay bóng đèn"})  # fmt: skip
    feedback_apply(item=item, action=Action.RATE, actor=None, as_=Actor.REPORTER, now=NOW,
                   data={"rating": 5, "note": "Cảm ơn"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.rating, item.resolution) == (State.RESOLVED, 5, "Đã thay bóng đèn")
    actions = list(FeedbackEvent.objects.filter(item=item).values_list("action", flat=True))
    assert actions == ["create", "assign", "start", "resolve", "rate"]


def test_who_may_not(ward, setup, staff, other_ward):
    item = _item(ward, setup, staff)
    with pytest.raises(NotAllowed):  # another department's specialist cannot start it
        feedback_apply(item=item, action=Action.ASSIGN, actor=staff["specialist_office"], now=NOW,
                       data={"department": staff["head_econ"].department})  # fmt: skip
    from motcua.testing import make_staff

    theirs = make_staff(other_ward, prefix="ak_")
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=Action.ESCALATE, actor=theirs["leader"], now=NOW, data={"note": "x"})
    with pytest.raises(NotAllowed):  # a staff user cannot pose as the reporter's step
        feedback_apply(item=item, action=Action.RATE, actor=staff["leader"], now=NOW, data={"rating": 4})
    with pytest.raises(Conflict):  # not resolved yet
        feedback_apply(
            item=item, action=Action.RATE, actor=None, as_=Actor.REPORTER, now=NOW, data={"rating": 4}
        )
    item.refresh_from_db()
    assert item.state == State.NEW and item.events.count() == 1
