"""Applying decisions adds the pairs that newly need review (``services._update_review_pairs``,
``recluster.review_list``): on a job the worker has run, on SQLite and on PostgreSQL
(``tools/pg.sh .venv/bin/pytest`` this file).

In tests/data's registers CG-001 and TT-001 share a CCCD (p > 0.99, one person); CG-009 has
another CCCD. A decision that CG-009 and TT-001 are one person makes the conflict guard split
CG-001 from TT-001: that strong pair, now across two persons, is what the run's rule lists."""

from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role
from motcua.registers import selectors, services
from motcua.registers.models import ReviewDecision, ReviewPair
from motcua.testing import make_commune, make_user

from .test_recluster_service import finished_job


@pytest.fixture(autouse=True)
def _no_files_task(monkeypatch):
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: None)


def decide(job, user, a: str, b: str, *, is_match: bool) -> ReviewDecision:
    """A decision on a pair as a former run's list could have held it (this run's list holds
    neither pair): the audit row, as ``services.review_decide`` writes it."""
    return ReviewDecision.objects.create(
        job=job, record_id_l=a, record_id_r=b, is_match=is_match, reason="Đã xác minh", decided_by=user
    )


def keys(job) -> list[tuple[str, str]]:
    return list(ReviewPair.objects.filter(job=job).values_list("record_id_l", "record_id_r"))


def test_a_strong_pair_split_by_an_accepted_pair_becomes_an_undecided_review_row(
    client, officer, ward, django_capture_on_commit_callbacks
):
    job = finished_job(officer)
    before = keys(job)
    assert ("CG-001", "TT-001") not in before
    to_review = selectors.pairs_to_review(job, selectors.latest_decisions(job))
    decide(job, officer, "CG-009", "TT-001", is_match=True)

    with django_capture_on_commit_callbacks(execute=True):
        job = services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())

    pair = ReviewPair.objects.get(job=job, record_id_l="CG-001", record_id_r="TT-001")
    assert pair.same_person is False and pair.match_probability > 0.95 and pair.match_weight > 0
    assert pair.left["raw"]["full_name"] == "Nguyễn Văn Hùng" and pair.left["raw"]["line_no"] == 2
    assert pair.right["raw"]["file_name"] == "tam_thuan.csv"
    assert pair.left["norm"]["citizen_id"] == pair.right["norm"]["citizen_id"] == "048078001234"
    # Undecided, counted on the job page, ranked in the run's order (the furthest from the
    # threshold here: last), the earlier rows in their order before it.
    assert ("CG-001", "TT-001") not in selectors.latest_decisions(job)
    assert selectors.pairs_to_review(job, selectors.latest_decisions(job)) == to_review + 1
    assert keys(job) == [*before, ("CG-001", "TT-001")]
    assert list(ReviewPair.objects.filter(job=job).values_list("rank", flat=True)) == list(
        range(1, len(before) + 2)
    )
    assert job.stats["review_pairs"] == len(before) + 1
    assert job.stats["applied"]["review_pairs_added"] == 1

    # The officer decides it like any other pair, on the review page.
    client.force_login(officer)
    page = client.get(reverse("registers:review", args=[job.pk]) + f"?cap={pair.pk}")
    assert page.status_code == 200 and "CG-001" in page.content.decode()
    services.review_decide(user=officer, job=job, pair_id=pair.pk, is_match=True, reason="Cùng CCCD")
    # Applying again adds nothing twice (the pair is listed, and decided now).
    with django_capture_on_commit_callbacks(execute=True):
        job = services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    assert keys(job).count(("CG-001", "TT-001")) == 1 and len(keys(job)) == len(before) + 1

    # Tenant rules unchanged: another commune's officer sees neither the job nor the new row.
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    client.force_login(make_user(other, Role.DATA_OFFICER, "dulieu_ankhe"))
    assert client.get(reverse("registers:review", args=[job.pk]) + f"?cap={pair.pk}").status_code == 404
    response = client.post(
        reverse("registers:decide", args=[job.pk, pair.pk]), {"verdict": "match", "reason": "x"}
    )
    assert response.status_code == 404


def test_the_apply_page_says_how_many_pairs_were_added(client, officer):
    job = finished_job(officer)
    # TT-006 and TT-010 are two people: TT-010 leaves CG-007 too (the pair across persons now).
    decide(job, officer, "TT-006", "TT-010", is_match=False)
    client.force_login(officer)
    response = client.post(reverse("registers:apply", args=[job.pk]), follow=True)
    assert "Có thêm 1 cặp cần rà soát" in response.content.decode()
    assert ReviewPair.objects.get(job=job, record_id_l="CG-007", record_id_r="TT-010").same_person is False
    assert not ReviewPair.objects.filter(job=job, record_id_l="TT-006", record_id_r="TT-010").exists()


def test_a_row_already_in_the_table_is_not_added_again(officer, django_capture_on_commit_callbacks):
    """If the run's files lag behind the table (an application committed, its files not yet
    published), the table's rows still decide what is new: no duplicate, no unique violation."""
    job = finished_job(officer)
    decide(job, officer, "CG-009", "TT-001", is_match=True)
    first = ReviewPair.objects.filter(job=job).first()
    assert first is not None
    ReviewPair.objects.create(
        job=job,
        rank=99,
        record_id_l="CG-001",
        record_id_r="TT-001",
        match_probability=0.99,
        match_weight=7.0,
        same_person=True,
        left=first.left,
        right=first.right,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())
    row = ReviewPair.objects.get(job=job, record_id_l="CG-001", record_id_r="TT-001")
    assert row.same_person is False and row.rank == ReviewPair.objects.filter(job=job).count()
