# ruff: noqa: F811 - the fixtures imported from test_dashboard are parameters of the tests
"""Residents write their phone, e-mail, ID number and name into a rating's comment: the leader's
dashboard and the province's view of a commune show those comments masked, as the officer's page
does (review of issue 10)."""

import pytest

from motcua.org.models import Role, User
from motcua.quality.models import Rating
from motcua.testing import make_user

from .test_dashboard import PERIOD, _clock, fixture_commune, leader_of, queue, ratings  # noqa: F401

pytestmark = pytest.mark.django_db

LEAKY = "Tôi là {name}, gọi 0905123456 hoặc lan.nguyen@example.com, CCCD 048190001234"


@pytest.fixture
def leaky(fixture_commune, ratings):
    ward, d = fixture_commune
    Rating.objects.filter(dossier=d["A"]).update(comment=LEAKY.format(name=d["A"].applicant_name))
    return ward, d["A"].applicant_name


def _assert_masked(html: str, name: str) -> None:
    assert "Tôi là ***" in html  # the comment is there…
    for secret in ("0905123456", "lan.nguyen@example.com", "048190001234", f"Tôi là {name}"):
        assert secret not in html  # …without what identifies the resident


def test_the_leader_reads_comments_masked(client, leaky):
    ward, name = leaky
    client.force_login(leader_of(ward))
    html = client.get(f"/chat-luong/?{PERIOD}").content.decode()
    _assert_masked(html, name)


def test_the_province_reads_comments_masked(client, leaky):
    ward, name = leaky
    officer = make_user(ward, Role.PROVINCE_OFFICER, "canbo_tinh_rieng")
    User.objects.filter(pk=officer.pk).update(commune=None)
    client.force_login(User.objects.get(pk=officer.pk))
    response = client.get(f"/chat-luong/tinh/{ward.code}/?{PERIOD}")
    assert response.status_code == 200
    _assert_masked(response.content.decode(), name)
