import datetime as dt
import logging
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from motcua.core import clock
from motcua.notify.models import Attempt, Channel, Message, MessageState, OptOut
from motcua.notify.sending import send_due
from motcua.notify.services import address_hash, notify
from motcua.notify.texts import SMS_MAX, dossier_received, sms_fits, sms_text

from .conftest import NOW

PHONE = "0905123456"
TEXT = "Hồ sơ H48.20209-260210-0001 đã được tiếp nhận. Ngày hẹn trả kết quả: 13/02/2026."


def _notify(key="dossier:1:receive:1", phone=PHONE, email="", now=NOW, **kw):
    return notify(topic="dossier.received", subject_ref="dossiers.dossier:1", commune=None, text=TEXT,
                  now=now, dedupe_key=key, phone=phone, email=email, **kw)  # fmt: skip


@pytest.fixture
def sms(settings, gateway):
    settings.MOTCUA_NOTIFY_PHONE_CHANNEL = "SMS"
    return gateway


@pytest.fixture
def zalo(settings, gateway):
    settings.MOTCUA_NOTIFY_PHONE_CHANNEL = "ZALO"
    return gateway


def test_sms_sent_once_without_diacritics(db, sms):
    [message] = _notify()
    assert _notify() == [message]  # the same event twice: one message
    report = send_due(now=NOW)
    assert report.sent == 1
    assert len(sms.requests) == 1
    req = sms.requests[0]
    assert req.path == "/sms"
    assert req.headers["authorization"] == "Bearer sms-key"
    assert req.headers["x-request-id"] == f"motcua-{message.pk}"
    assert req.body["phone"] == PHONE and req.body["brandname"] == "UBND-PHUONG"
    assert req.body["request_id"] == f"motcua-{message.pk}"
    text = req.body["message"]
    assert text.isascii() and len(text) <= SMS_MAX
    assert text.startswith("Ho so H48.20209-260210-0001 da duoc tiep nhan. Ngay hen tra ket qua: 13/02/2026.")
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.sent_at == NOW and message.provider_ref == "gw-1"
    assert send_due(now=NOW + dt.timedelta(hours=1)).handled == 0
    assert len(sms.requests) == 1
    assert Attempt.objects.filter(message=message, ok=True).count() == 1


def test_gateway_down_retried_with_backoff_then_sent_once(db, sms):
    sms.answers = [(500, {"error": "down"}), "timeout"]
    [message] = _notify()
    assert send_due(now=NOW).retried == 1
    message.refresh_from_db()
    assert message.state == MessageState.PENDING and message.attempts == 1
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert "HTTP 500" in message.last_error
    # Not due yet: nothing is sent.
    assert send_due(now=NOW + dt.timedelta(seconds=30)).handled == 0
    assert send_due(now=NOW + dt.timedelta(minutes=1)).retried == 1  # the timeout
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=6)  # 1 min + 5 min
    assert send_due(now=NOW + dt.timedelta(minutes=6)).sent == 1
    assert send_due(now=NOW + dt.timedelta(hours=5)).handled == 0
    assert len(sms.requests) == 3
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.attempts == 3
    assert [a.ok for a in message.tries.all()] == [False, False, True]


def test_max_attempts_then_failed(db, sms, settings):
    settings.MOTCUA_NOTIFY_MAX_ATTEMPTS = 2
    sms.default = (503, {})
    [message] = _notify()
    send_due(now=NOW)
    assert send_due(now=NOW + dt.timedelta(minutes=1)).failed == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert send_due(now=NOW + dt.timedelta(days=1)).handled == 0
    assert len(sms.requests) == 2


def test_refused_number_not_retried(db, sms):
    sms.default = (200, {"ok": False, "error": "invalid phone"})
    _notify()
    assert send_due(now=NOW).failed == 1
    assert len(sms.requests) == 1


def test_zalo_user_not_found_falls_back_to_sms(db, zalo):
    zalo.answers = [(200, {"error": -124, "message": "Zalo user not found"})]
    [message] = _notify()
    assert message.channel == Channel.ZALO
    report = send_due(now=NOW)
    assert report.fell_back == 1 and report.sent == 1  # the SMS is due at once, in the same run
    first = zalo.requests[0]
    assert first.path == "/zns" and first.headers["access_token"] == "zalo-token"
    assert first.body["phone"] == "84905123456" and first.body["template_id"] == "301234"
    assert first.body["tracking_id"] == f"motcua-{message.pk}"
    message.refresh_from_db()
    assert message.state == MessageState.FELL_BACK
    fallback = message.fallback
    assert fallback.channel == Channel.SMS
    assert fallback.body == message.body
    assert send_due(now=NOW).handled == 0
    assert [r.path for r in zalo.requests] == ["/zns", "/sms"]
    assert zalo.requests[1].body["message"].isascii()
    fallback.refresh_from_db()
    assert fallback.state == MessageState.SENT


def test_zalo_gateway_down_after_retries_falls_back(db, zalo, settings):
    settings.MOTCUA_NOTIFY_MAX_ATTEMPTS = 2
    zalo.answers = [(502, {}), (502, {})]
    _notify()
    assert send_due(now=NOW).retried == 1
    report = send_due(now=NOW + dt.timedelta(minutes=1))
    assert report.fell_back == 1 and report.sent == 1  # the SMS is due at once, in the same run
    assert [r.path for r in zalo.requests] == ["/zns", "/zns", "/sms"]


def test_opted_out_skipped_without_request(db, sms):
    OptOut.objects.create(address_sha256=address_hash("+84 905 123 456"), created_at=NOW)
    [message] = _notify()
    assert message.state == MessageState.SKIPPED
    assert send_due(now=NOW).handled == 0
    assert sms.requests == []


def test_opted_out_after_queueing_skipped_at_send(db, sms):
    [message] = _notify()
    OptOut.objects.create(address_sha256=address_hash(PHONE), created_at=NOW)
    assert send_due(now=NOW).skipped == 1
    message.refresh_from_db()
    assert message.state == MessageState.SKIPPED
    assert sms.requests == []


def test_sms_text_helpers():
    assert (
        sms_text("Đường Lê Duẩn, phường Thanh Khê «đã xử lý»")
        == "Duong Le Duan, phuong Thanh Khe <<da xu ly>>"
    )
    long_code = "H48.20209-260210-0001" * 8
    text = dossier_received(long_code, dt.date(2026, 2, 13))
    assert sms_fits(text)
    assert not sms_fits("a" * 161)


def test_sms_too_long_refused_not_sent(db, sms):
    [message] = notify(topic="t", subject_ref="", commune=None, text="ă" * 200, now=NOW, dedupe_key="long",
                       phone=PHONE)  # fmt: skip
    assert send_due(now=NOW).failed == 1
    assert sms.requests == []
    message.refresh_from_db()
    assert "quá 160" in message.last_error


def test_opt_out_hint_only_when_it_fits(db, settings):
    settings.MOTCUA_NOTIFY_PHONE_CHANNEL = "SMS"
    [short] = _notify(key="a")
    assert short.body.startswith(TEXT) and "/thong-bao/tu-choi/" in short.body
    assert sms_fits(short.body)
    long_text = "x" * 150
    [long] = notify(
        topic="t", subject_ref="", commune=None, text=long_text, now=NOW, dedupe_key="b", phone=PHONE
    )
    assert long.body == long_text


def test_email_with_locmem_backend_and_opt_out_link(db, client):
    _notify(phone="", email="Dan@Example.vn", email_subject="Hồ sơ đã được tiếp nhận")
    assert send_due(now=NOW).sent == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["Dan@Example.vn"] and sent.subject == "Hồ sơ đã được tiếp nhận"
    assert sent.body.startswith(TEXT)
    link = sent.body.split("Mở liên kết: ")[1].strip()
    path = link.split("8000", 1)[1] if "8000" in link else link
    assert "/thong-bao/tu-choi/" in path
    with clock.pinned(NOW):  # the link works for 90 days from the notice
        assert client.post(path).status_code == 200
    assert OptOut.objects.filter(address_sha256=address_hash("dan@example.vn")).exists()


def test_console_writes_the_log(db, caplog):
    [message] = _notify()
    assert message.channel == Channel.CONSOLE
    with caplog.at_level(logging.INFO, logger="motcua.notify"):
        assert send_due(now=NOW).sent == 1
    assert TEXT in caplog.text
    assert "********56" in caplog.text and PHONE not in caplog.text


def test_expired_lease_taken_again(db, sms):
    [message] = _notify()
    # A worker claimed it and died: its lease runs out, the next run sends it.
    Message.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING, lease_until=NOW + dt.timedelta(seconds=60), attempts=1
    )
    assert send_due(now=NOW + dt.timedelta(seconds=30)).handled == 0
    assert send_due(now=NOW + dt.timedelta(seconds=61)).sent == 1
    assert len(sms.requests) == 1


def test_command_send_due(db, capsys):
    _notify()
    call_command("notify", "send-due")
    assert "Đã gửi 1" in capsys.readouterr().out


def test_notify_enqueues_the_task_on_commit(db, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        _notify(key="one")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(key="two")
    assert DBTaskResult.objects.filter(task_path="motcua.notify.tasks.send_due_task").count() == 1


def test_task_runs_send_due_and_schedules_the_retry(db, sms):
    from django_tasks_db.models import DBTaskResult

    from motcua.core import clock
    from motcua.notify.tasks import send_due_task

    sms.answers = [(500, {})]
    _notify()
    with clock.pinned(NOW):
        assert send_due_task.call() == 1
    later = DBTaskResult.objects.get(task_path="motcua.notify.tasks.send_due_task")
    assert later.run_after == NOW + dt.timedelta(minutes=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_message_once(sms):
    sms.delay = 0.05
    messages = [_notify(key=f"race:{i}", phone=f"09051234{i:02d}")[0] for i in range(8)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            send_due(now=NOW)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = sorted(r.body["request_id"] for r in sms.requests)
    assert ids == sorted(f"motcua-{m.pk}" for m in messages)
    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SENT}


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_what_a_commit_queued(sms):
    import io

    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from motcua.core import clock

    with transaction.atomic():
        [message] = _notify(now=clock.now())
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=io.StringIO())
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(sms.requests) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(sms):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        _notify()
        raise RuntimeError
    assert not Message.objects.exists() and not DBTaskResult.objects.exists()
    assert send_due(now=NOW).handled == 0 and sms.requests == []


def test_senders_give_up_before_the_lease_expires(settings):
    lease = settings.MOTCUA_NOTIFY_LEASE_SECONDS
    assert settings.EMAIL_TIMEOUT == 20 and lease > settings.EMAIL_TIMEOUT
    assert lease > settings.MOTCUA_NOTIFY_HTTP_TIMEOUT


def test_a_worker_that_outlived_its_lease_records_nothing(db, sms, monkeypatch, caplog):
    """Worker A claims the message; its gateway call outlasts the lease; worker B takes the message
    again; A's call then ends (a timeout) — A's outcome must not undo B's claim, and B's success is
    recorded once."""
    from motcua.notify import senders, sending

    [message] = _notify()
    later = NOW + sending.lease() + dt.timedelta(seconds=1)
    taken_by_b: list[Message] = []

    def slow_a(msg: Message) -> senders.SendResult:
        claimed = sending._claim(later, set())  # B, once A's lease expired
        assert claimed is not None and claimed.pk == msg.pk
        taken_by_b.append(claimed)
        return senders.SendResult(ok=False, detail="hết thời gian chờ", retryable=True)

    monkeypatch.setattr(senders, "send", slow_a)
    with caplog.at_level(logging.WARNING, logger="motcua.notify.sending"):
        report = send_due(now=NOW)
    assert (report.retried, report.sent) == (0, 0)
    assert "outlived its lease" in caplog.text
    message.refresh_from_db()
    assert (message.state, message.lease_until) == (MessageState.SENDING, taken_by_b[0].lease_until)
    assert message.attempts == 2

    sending._record(taken_by_b[0], senders.SendResult(ok=True, provider_ref="gw-b"), now=later,
                    report=sending.SendReport())  # fmt: skip
    message.refresh_from_db()
    assert (message.state, message.provider_ref, message.sent_at) == (MessageState.SENT, "gw-b", later)
    # Both calls are on record (A's kept for the audit); nothing is due any more.
    assert list(Attempt.objects.filter(message=message).values_list("ok", flat=True).order_by("id")) == [
        False, True]  # fmt: skip
    assert send_due(now=later + dt.timedelta(hours=1)).handled == 0


def test_a_lease_taken_late_in_a_batch_starts_then(db, sms, monkeypatch):
    """A batch's `now` is its start: a message claimed after a minute of slow sends gets a lease
    from that moment, not one already expired."""
    from motcua.notify import sending

    _notify(key="a", phone="0905123401")
    _notify(key="b", phone="0905123402")
    ticks = [1000.0, 1000.0, 1090.0]  # the batch starts; the first claim; the second, 90 s later
    monkeypatch.setattr(sending, "monotonic", lambda: ticks.pop(0) if len(ticks) > 1 else ticks[0])
    leases: list[dt.datetime | None] = []
    real_claim = sending._claim

    def spy(now, skip, **kw):
        claimed = real_claim(now, skip, **kw)
        if claimed is not None:
            leases.append(claimed.lease_until)
        return claimed

    monkeypatch.setattr(sending, "_claim", spy)
    send_due(now=NOW)
    assert leases == [NOW + sending.lease(), NOW + dt.timedelta(seconds=90) + sending.lease()]
