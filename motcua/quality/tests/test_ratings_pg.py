"""On PostgreSQL: two residents (or two taps, two tabs) rating the same dossier at the same
moment — one rating is kept, the other is told «đã được đánh giá» (409), never a 500."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from motcua.core.errors import Conflict
from motcua.dossiers.models import Dossier
from motcua.quality.models import Rating, RatingSource, RatingSubject
from motcua.quality.ratings import rating_record
from motcua.quality.tests.rating_setup import DOSSIER_ANSWERS, at, finished_dossier
from motcua.testing import make_commune, make_staff

ROUNDS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_ratings_of_one_dossier_give_one():
    staff = make_staff(make_commune())
    for round_ in range(ROUNDS):
        d = finished_dossier(staff, at(f"1{round_}/03/2026", "08:00"))
        barrier = threading.Barrier(2)

        def work(overall: int, pk: int = d.pk, barrier: threading.Barrier = barrier) -> str:
            try:
                dossier = Dossier.objects.get(pk=pk)
                barrier.wait(timeout=30)
                rating_record(subject=RatingSubject.DOSSIER, dossier=dossier, answers=DOSSIER_ANSWERS,
                              overall=overall, source=RatingSource.RECEIPT, now=at("20/03/2026"))  # fmt: skip
                return "rated"
            except Conflict as exc:
                assert "đã được đánh giá" in exc.message
                return exc.code
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(work, [0, 2]))
        assert outcomes == ["already_rated", "rated"]
        assert Rating.objects.filter(dossier=d).count() == 1
