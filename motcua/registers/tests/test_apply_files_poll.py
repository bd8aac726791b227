"""The job page's files fragment (``apply_views.job_files``, ``registers/_files.html``): while the
background task rewrites the files after an application it polls itself; once they are ready it
shows the downloads and stops; once the task failed it shows why and «Tạo lại tệp» and stops."""

from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.core import clock
from motcua.org.models import Role
from motcua.registers import recluster, services, storage, tasks
from motcua.testing import make_commune, make_user

from .test_recluster_service import finished_job, reject_a_merged_pair

POLL = 'hx-trigger="every 2s"'


@pytest.fixture(autouse=True)
def _no_files_task(monkeypatch):
    monkeypatch.setattr(services, "_enqueue_files", lambda job_id, run_no: None)


@pytest.fixture
def applied(officer, django_capture_on_commit_callbacks):
    job = finished_job(officer)
    reject_a_merged_pair(job, officer)
    with django_capture_on_commit_callbacks(execute=True):
        return services.merge_job_apply_decisions(user=officer, job=job, now=clock.now())


def test_the_fragment_polls_while_the_files_are_rewritten_then_shows_the_buttons(client, officer, applied):
    client.force_login(officer)
    url = reverse("registers:files", args=[applied.pk])
    # The page itself holds the polling fragment.
    page = client.get(reverse("registers:job", args=[applied.pk])).content.decode()
    assert f'hx-get="{url}"' in page and POLL in page and 'id="files-updating"' in page

    stale = client.get(url, headers={"HX-Request": "true"})
    body = stale.content.decode()
    assert stale.status_code == 200
    assert body.lstrip().startswith('<div id="files"') and f'hx-get="{url}"' in body and POLL in body
    assert "Đang cập nhật tệp Excel…" in body and "Tải danh sách hợp nhất (Excel)" not in body
    assert "<script" not in body and "style=" not in body  # CSP: nothing inline

    tasks.merge_job_files(job_id=applied.pk, run_no=1)
    ready = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in ready and "hx-trigger" not in ready  # polling stops
    assert "Tải danh sách hợp nhất (Excel)" in ready and "Danh sách dân cư theo CSDLQG (CSV)" in ready
    assert "Đang cập nhật tệp Excel" not in ready
    assert reverse("registers:download", args=[applied.pk]) in ready


def test_a_failed_task_stops_the_polling_and_offers_the_retry(client, officer, applied, monkeypatch):
    def broken(**kwargs):
        raise MemoryError

    monkeypatch.setattr(recluster, "write_workbook", broken)
    with pytest.raises(MemoryError):
        tasks.merge_job_files(job_id=applied.pk, run_no=1)
    client.force_login(officer)
    body = client.get(reverse("registers:files", args=[applied.pk])).content.decode()
    assert "hx-get" not in body
    assert "Chưa tạo được tệp Excel: máy chủ không đủ bộ nhớ." in body and "Tạo lại tệp" in body
    assert "Tải danh sách hợp nhất (Excel)" not in body
    assert recluster.files_failure(storage.run_dir(applied)) is not None


def test_stalled_files_stop_polling_and_say_what_to_do(client, officer, applied, monkeypatch):
    """A task lost for minutes: the retry is offered and a reload suggested; no polling (a page
    left open would keep the session alive for ever)."""
    monkeypatch.setattr(
        "motcua.registers.apply_views.files_state",
        lambda job, now: tasks.FilesState(ready=False, stalled=True),
    )
    client.force_login(officer)
    body = client.get(reverse("registers:files", args=[applied.pk])).content.decode()
    assert "hx-get" not in body and "Tạo lại tệp" in body and "tải lại trang sau ít phút" in body


def test_a_run_whose_files_are_ready_does_not_poll(client, officer):
    job = finished_job(officer)
    client.force_login(officer)
    body = client.get(reverse("registers:files", args=[job.pk])).content.decode()
    assert "hx-get" not in body and "Tải danh sách hợp nhất (Excel)" in body


def test_the_fragment_is_the_communes_own(client, officer, applied, ward):
    other = make_commune(code=20194, name="Phường An Khê", agency="H48.20194")
    client.force_login(make_user(other, Role.DATA_OFFICER, "dulieu_ankhe"))
    assert client.get(reverse("registers:files", args=[applied.pk])).status_code == 404
    client.force_login(make_user(ward, Role.COUNTER_OFFICER, "motcua"))
    assert client.get(reverse("registers:files", args=[applied.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("registers:files", args=[applied.pk])).status_code == 302
    # htmx re-reading it after the session ended: the whole page goes to the login (HX-Redirect),
    # and back to the job's page after signing in; never the login form inside the card.
    page = reverse("registers:job", args=[applied.pk])
    gone = client.get(
        reverse("registers:files", args=[applied.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )
    assert gone.status_code == 200 and gone.content == b""
    assert gone["HX-Redirect"] == f"{reverse('core:login')}?next={page.replace('/', '%2F')}"
    # A current URL of another site is not a place to go back to: the fragment's own path.
    elsewhere = client.get(
        reverse("registers:files", args=[applied.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )
    assert "evil" not in elsewhere["HX-Redirect"]
    client.force_login(officer)
    assert client.post(reverse("registers:files", args=[applied.pk])).status_code == 405
