"""The ratings' service (issue 10 §1): questions of the subject all required, overall 0..2, the
comment cleaned, one rating per dossier / ticket, only a finished dossier or a served ticket,
the officer and department copied."""

import pytest

from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.dossiers.models import State
from motcua.quality.definitions import tt01_2018_v1
from motcua.quality.models import Rating, RatingSource, RatingSubject
from motcua.quality.ratings import (
    dossier_for_rating,
    rating_key,
    rating_key_of,
    rating_of_dossier,
    rating_record,
    rating_status_by_code,
    ticket_for_rating,
)
from motcua.quality.tests.rating_setup import (
    DOSSIER_ANSWERS,
    TICKET_ANSWERS,
    at,
    counter_with_officer,
    finished_dossier,
    received,
    served_ticket,
)
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db
NOW = at("10/03/2026", "11:00")


@pytest.fixture
def staff():
    return make_staff(make_commune())


def rate_dossier(d, answers=None, overall=2, comment="", source=RatingSource.RECEIPT):
    return rating_record(
        subject=RatingSubject.DOSSIER, dossier=d, answers=DOSSIER_ANSWERS if answers is None else answers,
        overall=overall, comment=comment, source=source, now=NOW,
    )  # fmt: skip


def test_questionnaire_is_data_with_versions_and_scores():
    assert tt01_2018_v1.VERSION == "TT01-2018-v1"
    assert [q["code"] for q in tt01_2018_v1.questions_for("ticket")] == ["3", "6", "7"]
    assert len(tt01_2018_v1.questions_for("dossier")) == 9
    for q in tt01_2018_v1.QUESTIONS:
        assert [v for v, _ in q["options"]] == [2, 1, 0]


def test_dossier_rating_recorded_with_officer_department_and_version(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    r = rate_dossier(
        d, answers={**DOSSIER_ANSWERS, "7": "1"}, overall="1", comment="  Cán bộ  nhiệt tình.\n "
    )
    assert r.commune_id == d.commune_id and r.subject == "DOSSIER" and r.dossier_id == d.pk
    assert r.questionnaire == "TT01-2018-v1" and r.answers["7"] == 1 and r.overall == 1
    assert r.comment == "Cán bộ  nhiệt tình."
    assert r.officer_id == (d.assignee_id or d.received_by_id) == staff["counter"].pk
    assert r.department_id == d.department_id
    assert r.created_at == NOW and r.source == "RECEIPT"
    assert rating_of_dossier(d) == r


def test_assignee_rather_than_receiver_is_the_officer(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    d.assignee = staff["specialist_office"]
    d.save(update_fields=["assignee"])
    assert rate_dossier(d).officer_id == staff["specialist_office"].pk


def test_second_rating_of_a_dossier_refused(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    rate_dossier(d)
    with pytest.raises(Conflict) as exc:
        rate_dossier(d, overall=0)
    assert exc.value.code == "already_rated" and "đã được đánh giá" in exc.value.message
    assert Rating.objects.count() == 1


def test_unique_index_race_gives_a_conflict_not_a_500(staff, monkeypatch):
    """The check before the insert sees nothing (the other rating is not committed yet): the
    unique index refuses the insert, and the service says it in Vietnamese."""
    from django.db.models.query import QuerySet

    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    rate_dossier(d)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(Conflict) as exc:
        rate_dossier(d, overall=0)
    monkeypatch.undo()
    assert exc.value.code == "already_rated" and "đã được đánh giá" in exc.value.message
    assert Rating.objects.filter(dossier=d).count() == 1


@pytest.mark.parametrize(
    "state",
    [State.RECEIVED, State.IN_PROCESS, State.SUPPLEMENT_REQUESTED, State.PENDING_FEE, State.WITHDRAWN],
)
def test_dossier_without_its_end_refused(staff, state):
    d = received(staff, at("10/03/2026", "08:00"))
    d.state = state
    d.save(update_fields=["state"])
    with pytest.raises(Conflict) as exc:
        rate_dossier(d)
    assert exc.value.code == "not_finished" and "chưa có kết quả" in exc.value.message
    assert not Rating.objects.exists()


@pytest.mark.parametrize("state", [State.RESULT_READY, State.RETURNED, State.REFUSED, State.STOPPED])
def test_dossier_with_its_end_accepted(staff, state):
    d = received(staff, at("10/03/2026", "08:00"))
    d.state = state
    d.save(update_fields=["state"])
    assert rate_dossier(d).pk


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({k: v for k, v in DOSSIER_ANSWERS.items() if k != "5"}, "answers_missing"),
        ({**DOSSIER_ANSWERS, "5": ""}, "answers_missing"),
        ({**DOSSIER_ANSWERS, "5": 3}, "bad_answer"),
        ({**DOSSIER_ANSWERS, "5": "-1"}, "bad_answer"),
        ({**DOSSIER_ANSWERS, "5": "2\x00"}, "bad_answer"),
        ({**DOSSIER_ANSWERS, "99": 2}, "bad_answers"),
    ],
)
def test_every_question_answered_2_1_0(staff, answers, code):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed) as exc:
        rate_dossier(d, answers=answers)
    assert exc.value.code == code
    assert not Rating.objects.exists()


def test_missing_answers_named_in_the_message(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed) as exc:
        rate_dossier(d, answers={"1": 2})
    assert "còn thiếu câu 2, 3, 4, 5, 6, 7, 8, 9" in exc.value.message


@pytest.mark.parametrize("overall", ["", None, 3, "x", "-1"])
def test_overall_0_to_2(staff, overall):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed) as exc:
        rate_dossier(d, overall=overall)
    assert "hài lòng chung" in exc.value.message


@pytest.mark.parametrize(
    ("comment", "words"),
    [
        ("Tốt\x00", "ký tự không hợp lệ"),
        ("a" * 1001, "dài quá 1000 ký tự"),
        ("xem\u202eexe", "ký tự không hợp lệ"),
    ],
)
def test_bad_comment_is_a_vietnamese_message(staff, comment, words):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed) as exc:
        rate_dossier(d, comment=comment)
    assert words in exc.value.message
    assert not Rating.objects.exists()


def test_comment_of_1000_characters_and_decomposed_text_kept(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    r = rate_dossier(d, comment="a" * 996 + "Vie\u0302\u0323t")
    assert len(r.comment) == 1000 and r.comment.endswith("Việt")


def test_ticket_rating_copies_the_serving_officer_and_department(staff):
    commune = staff["counter"].commune
    counter = counter_with_officer(commune)
    officer = counter.officer
    officer.department = staff["specialist_office"].department
    officer.save(update_fields=["department"])
    t = served_ticket(counter, at("10/03/2026", "08:00"))
    counter.officer = None  # the officer left the counter since: the serving event still says who
    counter.save(update_fields=["officer"])
    r = rating_record(subject=RatingSubject.TICKET, ticket=t, answers=TICKET_ANSWERS, overall=2,
                      source=RatingSource.TICKET_PAGE, now=NOW)  # fmt: skip
    assert r.ticket_id == t.pk and r.dossier_id is None and r.subject == "TICKET"
    assert r.officer_id == officer.pk and r.department_id == officer.department_id
    assert r.answers == {"3": 2, "6": 1, "7": 2}
    with pytest.raises(Conflict):
        rating_record(subject=RatingSubject.TICKET, ticket=t, answers=TICKET_ANSWERS, overall=0,
                      source=RatingSource.TICKET_PAGE, now=NOW)  # fmt: skip


def test_ticket_only_asks_its_questions(staff):
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed):
        rating_record(subject=RatingSubject.TICKET, ticket=t, answers=DOSSIER_ANSWERS, overall=2,
                      source=RatingSource.TICKET_PAGE, now=NOW)  # fmt: skip


def test_ticket_not_yet_served_refused(staff):
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"), finish=False)
    with pytest.raises(Conflict) as exc:
        rating_record(subject=RatingSubject.TICKET, ticket=t, answers=TICKET_ANSWERS, overall=2,
                      source=RatingSource.TICKET_PAGE, now=NOW)  # fmt: skip
    assert exc.value.code == "not_finished"


def test_subject_must_match_what_is_rated(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    with pytest.raises(ValidationFailed):
        rating_record(subject=RatingSubject.TICKET, dossier=d, answers=TICKET_ANSWERS, overall=2,
                      source=RatingSource.TICKET_PAGE, now=NOW)  # fmt: skip
    with pytest.raises(ValidationFailed):
        rating_record(subject=RatingSubject.DOSSIER, dossier=d, answers=DOSSIER_ANSWERS, overall=2,
                      source="SOMEWHERE", now=NOW)  # fmt: skip


def test_lookups_by_code_and_rating_key(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    key = rating_key(d)
    assert dossier_for_rating(code=d.code, secret=key) == d
    for code, secret in [(d.code, key + "x"), (d.code, key[:-1]), (d.code, ""), ("H48.NOPE", key), (str(d.pk), key),
                         (d.code, "x" * 100), ("9" * 19, key), ("a\x00", key),
                         (d.code, d.secret)]:  # fmt: skip  # the tracking secret is not the rating key
        with pytest.raises(NotFound):
            dossier_for_rating(code=code, secret=secret)
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"))
    assert ticket_for_rating(pk=t.pk, secret=t.secret) == t
    with pytest.raises(NotFound):
        ticket_for_rating(pk=t.pk, secret=t.secret[:-1])


def test_the_rating_key_is_not_the_tracking_secret(staff, settings):
    """16 URL-safe characters, an HMAC of the dossier's id and tracking secret: another dossier,
    another secret or another SECRET_KEY gives another key; the key does not contain the secret."""
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    other = finished_dossier(staff, at("10/03/2026", "09:00"))
    key = rating_key(d)
    assert len(key) == 16 and all(c.isalnum() or c in "-_" for c in key)
    assert key != d.secret and d.secret not in key and key != rating_key(other)
    assert rating_key_of(d.pk, d.secret) == key and rating_key_of(d.pk, d.secret + "x") != key
    settings.SECRET_KEY = "another-server-key-for-this-test"
    assert rating_key(d) != key


def test_a_key_made_before_a_secret_key_rotation_works_while_the_old_key_is_a_fallback(staff, settings):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    printed = rating_key(d)  # the receipt's QR, printed under the old SECRET_KEY
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "the-new-server-key-after-rotation"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert dossier_for_rating(code=d.code, secret=printed) == d
    assert dossier_for_rating(code=d.code, secret=rating_key(d)) == d
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(NotFound):
        dossier_for_rating(code=d.code, secret=printed)


def test_codeless_dossier_found_by_its_id(staff):
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    d.code = None
    d.save(update_fields=["code"])
    assert dossier_for_rating(code=str(d.pk), secret=rating_key(d)) == d
    with pytest.raises(NotFound):
        dossier_for_rating(code=str(d.pk), secret=d.secret)


def test_tracking_status_of_the_rating(staff):
    d = received(staff, at("10/03/2026", "08:00"))
    assert rating_status_by_code(d.code) is None
    d = finished_dossier(staff, at("11/03/2026", "08:00"))
    path, rated = rating_status_by_code(d.code)
    assert path == f"/danh-gia/ho-so/{d.code}/{rating_key(d)}/?nguon=tra-cuu" and not rated
    rate_dossier(d)
    assert rating_status_by_code(d.code)[1] is True
    assert rating_status_by_code("") is None
