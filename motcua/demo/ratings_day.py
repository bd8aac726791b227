"""Residents' ratings in the demo ward (issue 10 §1): about 30 % of the dossiers that have their
end (result ready, returned, refused, stopped) and about 20 % of today's finished queue tickets
are rated, mostly satisfied, a few not, a few with a comment; one rating tablet at quầy 1.

Made through `rating_record` (so the officer and department are copied as in real life), at a
moment after the dossier's end or the ticket's finish and not after `now`. Which dossier or ticket
is rated is decided by its id alone (a seeded draw), so a rerun rates exactly the same ones and
adds only the new day's tickets: idempotent. The tablet's token is not printed (the demo prints
nothing here): `motcua quality tablet-token 20209 --counter 1` makes one to activate a screen.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.geo.models import Commune
from motcua.quality.models import Rating, RatingSource, RatingSubject, RatingTablet
from motcua.quality.ratings import RATEABLE_STATES, questions_of, rating_record, tablet_create
from motcua.queueing.models import Counter, Ticket, TicketState

from . import ward as W

SEED = 766
DOSSIER_SHARE = 0.30
TICKET_SHARE = 0.20
COMMENTS = {
    2: [
        "Cán bộ hướng dẫn tận tình, hồ sơ trả sớm hơn hẹn.",
        "Thủ tục nhanh gọn, không phải đi lại nhiều lần.",
        "Rất hài lòng, cảm ơn bộ phận một cửa phường.",
    ],
    1: ["Được hướng dẫn đầy đủ, nhưng phải chờ hơi lâu.", "Nên có thêm chỗ ngồi chờ."],
    0: [
        "Phải bổ sung giấy tờ hai lần vì lần đầu không được hướng dẫn rõ.",
        "Trả kết quả trễ hẹn mà không được báo trước.",
    ],
}
DOSSIER_SOURCES = [RatingSource.RECEIPT, RatingSource.NOTICE, RatingSource.TRACKING]


def _draw(kind: str, pk: int) -> random.Random:
    return random.Random(f"{SEED}:{kind}:{pk}")


def _answers_for(rng: random.Random, subject: str, overall: int) -> dict[str, int]:
    """Answers that agree with the overall: a satisfied resident mostly gives 2, an unhappy one
    some 1 and 0."""
    weights = {2: (8, 2, 0), 1: (4, 5, 1), 0: (1, 4, 4)}[overall]
    return {q["code"]: rng.choices((2, 1, 0), weights=weights)[0] for q in questions_of(subject)}


def _overall(rng: random.Random, unhappy: float = 0.0) -> int:
    """Mostly satisfied; `unhappy` (0–1) moves weight to «không hài lòng» (a ward in difficulty)."""
    return rng.choices((2, 1, 0), weights=(55 * (1 - unhappy), 37, 8 + 92 * unhappy))[0]


def _comment(rng: random.Random, overall: int) -> str:
    return rng.choice(COMMENTS[overall]) if rng.random() < 0.25 else ""


def ratings_load(*, now: dt.datetime, commune_code: int = W.COMMUNE_CODE, unhappy: float = 0.0) -> int:
    """Rate the ward's chosen dossiers and finished tickets not rated yet, and set up the
    tablet at quầy 1 (the demo ward's; a neighbouring ward of province_wards.py has `unhappy`
    residents); returns how many ratings were added."""
    commune = Commune.objects.filter(code=commune_code).first()
    if commune is None:
        return 0
    added = 0
    dossiers = (
        Dossier.objects.select_related("assignee", "received_by")
        .filter(commune=commune, state__in=list(RATEABLE_STATES), rating__isnull=True)
        .order_by("pk")
    )
    for d in dossiers:
        rng = _draw("dossier", d.pk)
        if rng.random() >= DOSSIER_SHARE:
            continue
        end = d.finished_at or now
        at = min(now, end + dt.timedelta(hours=rng.randint(1, 48)))
        overall = _overall(rng, unhappy)
        rating_record(
            subject=RatingSubject.DOSSIER, dossier=d, answers=_answers_for(rng, "DOSSIER", overall),
            overall=overall, comment=_comment(rng, overall), source=rng.choice(DOSSIER_SOURCES), now=at,
        )  # fmt: skip
        added += 1
    tickets = (
        Ticket.objects.select_related("counter__officer")
        # Today's hall only: the weeks of queue history behind the staffing advisor
        # (staffing_history.py) are not rated, so a rerun adds only the new day's tickets.
        .filter(
            commune=commune,
            day=timezone.localdate(now),
            state=TicketState.DONE,
            rating__isnull=True,
            finished_at__lte=now,
        )
        .order_by("pk")
    )
    tablet = _tablet(commune, now=now)
    for t in tickets:
        rng = _draw("ticket", t.pk)
        if rng.random() >= TICKET_SHARE:
            continue
        overall = _overall(rng, unhappy)
        at_tablet = tablet is not None and t.counter_id == tablet.counter_id and rng.random() < 0.7
        rating_record(
            subject=RatingSubject.TICKET, ticket=t, answers=_answers_for(rng, "TICKET", overall),
            overall=overall, comment=_comment(rng, overall),
            source=RatingSource.TABLET if at_tablet else RatingSource.TICKET_PAGE,
            tablet=tablet if at_tablet else None,
            now=min(now, (t.finished_at or now) + dt.timedelta(minutes=rng.randint(1, 20))),
        )  # fmt: skip
        added += 1
    return added


def _tablet(commune: Commune, *, now: dt.datetime) -> RatingTablet | None:
    """The rating tablet at quầy 1 (made once; its token is thrown away)."""
    counter = Counter.objects.filter(commune=commune, number=1).first()
    if counter is None:
        return None
    tablet = RatingTablet.objects.filter(commune=commune, counter=counter, revoked_at__isnull=True).first()
    if tablet is None:
        tablet, _token = tablet_create(commune=commune, counter_number=1, now=now, name="Máy đánh giá quầy 1")
    return tablet


def ratings_summary(commune: Commune) -> dict[str, int]:
    ratings = Rating.objects.filter(commune=commune)
    return {
        "dossiers": ratings.filter(subject=RatingSubject.DOSSIER).count(),
        "tickets": ratings.filter(subject=RatingSubject.TICKET).count(),
        "not_satisfied": ratings.filter(overall=0).count(),
    }
