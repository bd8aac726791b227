"""Residents' ratings (issue 10 §1): services and the public selectors behind the rating pages
and the counter tablets.

Rules (`rating_record`):
- The questions are those of the current questionnaire (definitions/tt01_2018_v1.py) that apply
  to the subject; every one of them is required, answered 2 / 1 / 0 (the tablet stays one tap per
  question, and a partly answered form would score questions nobody answered). `overall` 0..2.
- The comment is optional, cleaned (NFC, control characters refused, not dropped) and at most
  COMMENT_MAX characters; a NUL byte or a longer text is a Vietnamese ValidationFailed (422).
- A dossier is rated once it has its end: RESULT_READY, RETURNED, REFUSED or STOPPED (the time
  questions need the end). A queue ticket once its service is finished (DONE).
- One rating per dossier and per ticket: checked first, and the OneToOne's unique index settles
  two at the same moment (IntegrityError → Conflict 409).
- `officer` and `department` are copied when the rating is made: the dossier's assignee (else the
  officer who received it) and its department; for a ticket, the officer of its serving event
  (the last STARTED / RESUMED / FINISHED event with an officer), else the counter's officer, and
  that officer's department.

Tablets: bearer token like the queue's kiosks (only the SHA-256 stored); a revoked token or a
tablet whose counter is closed is refused (`TabletUnauthorized`). A tablet rates only tickets
of its own counter finished within MOTCUA_RATING_TABLET_WINDOW_MINUTES.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from motcua.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.dossiers.models import Dossier, State
from motcua.geo.models import Commune
from motcua.org.models import User
from motcua.queueing.models import Counter, EventKind, Ticket, TicketEvent, TicketState

from .definitions import tt01_2018_v1 as questionnaire
from .models import Rating, RatingSource, RatingSubject, RatingTablet

COMMENT_MAX = 1000
RATEABLE_STATES = frozenset({State.RESULT_READY, State.RETURNED, State.REFUSED, State.STOPPED})
_SUBJECT_KEY = {RatingSubject.DOSSIER: "dossier", RatingSubject.TICKET: "ticket"}
_MAX_ID = 2**63 - 1
_MAX_SECRET = 64
_RATING_KEY_SALT = "motcua.quality.rating"
RATING_KEY_BYTES = 12  # 16 characters: the SMS «result ready» has room for no more (see notify)
_MAX_TOKEN = 200
TABLET_DEFAULT_NAME = "Máy đánh giá"
TOUCH_EVERY = dt.timedelta(minutes=1)

NOT_FOUND_DOSSIER = "Không tìm thấy hồ sơ cần đánh giá. Hãy kiểm tra lại đường dẫn hoặc mã QR."
NOT_FOUND_TICKET = "Không tìm thấy lượt phục vụ cần đánh giá. Hãy kiểm tra lại đường dẫn."
ALREADY_DOSSIER = "Hồ sơ đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần."
ALREADY_TICKET = "Lượt phục vụ này đã được đánh giá. Mỗi lượt chỉ được đánh giá một lần."


class TabletUnauthorized(DomainError):
    """The tablet's token is unknown or revoked, or its counter is closed."""

    status = 401
    code = "tablet_token_invalid"


TABLET_REFUSED = (
    "Máy đánh giá chưa được kích hoạt, mã đã bị thu hồi hoặc quầy đã đóng. "
    "Vui lòng nhập mã mới do quản trị cấp."
)


# ---- the questionnaire ----------------------------------------------------------------------


def questions_of(subject: str) -> tuple[dict[str, Any], ...]:
    return questionnaire.questions_for(_SUBJECT_KEY[RatingSubject(subject)])


def _score(raw: object, label: str) -> int:
    text = "" if raw is None else str(raw).strip()
    if text not in {"0", "1", "2"}:
        raise ValidationFailed(label, code="bad_answer")
    return int(text)


def clean_answers(subject: str, answers: Mapping[str, object]) -> dict[str, int]:
    """Every question of the subject answered 2 / 1 / 0; nothing else."""
    if not isinstance(answers, Mapping):
        raise ValidationFailed("Phiếu đánh giá không hợp lệ.", code="bad_answers")
    asked = questions_of(subject)
    codes = {q["code"] for q in asked}
    if set(map(str, answers)) - codes:
        raise ValidationFailed("Phiếu đánh giá có câu hỏi không thuộc bộ câu hỏi.", code="bad_answers")
    cleaned: dict[str, int] = {}
    missing = []
    for q in asked:
        raw = answers.get(q["code"])
        if raw is None or str(raw).strip() == "":
            missing.append(q["code"])
            continue
        cleaned[q["code"]] = _score(raw, f"Câu trả lời cho «{q['text']}» không hợp lệ.")
    if missing:
        raise ValidationFailed(
            "Ông/bà vui lòng trả lời đủ các câu hỏi (còn thiếu câu " + ", ".join(missing) + ").",
            code="answers_missing",
            details=missing,
        )
    return cleaned


def clean_overall(raw: object) -> int:
    if raw is None or str(raw).strip() == "":
        raise ValidationFailed("Ông/bà vui lòng chọn mức độ hài lòng chung.", code="overall_missing")
    return _score(raw, "Mức độ hài lòng chung không hợp lệ.")


def clean_comment(raw: object) -> str:
    """The optional comment: NFC, line breaks kept, a control character refused (never silently
    dropped: PostgreSQL refuses NUL), at most COMMENT_MAX characters."""
    text = "" if raw is None else str(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if clean_text(text) != unicodedata.normalize("NFC", text):
        raise ValidationFailed("Ý kiến có ký tự không hợp lệ.", code="bad_text")
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(f"Ý kiến dài quá {COMMENT_MAX} ký tự.", code="too_long")
    return text


# ---- who the rating is about ----------------------------------------------------------------


def _ticket_officer(ticket: Ticket) -> User | None:
    event = (
        TicketEvent.objects.select_related("officer__department")
        .filter(
            ticket=ticket,
            officer__isnull=False,
            kind__in=[EventKind.STARTED, EventKind.RESUMED, EventKind.FINISHED],
        )
        .order_by("-at", "-id")
        .first()
    )
    if event is not None:
        return event.officer
    counter = ticket.counter
    return counter.officer if counter is not None else None


# ---- recording --------------------------------------------------------------------------------


def can_rate_dossier(dossier: Dossier) -> bool:
    return dossier.state in RATEABLE_STATES


def can_rate_ticket(ticket: Ticket) -> bool:
    return ticket.state == TicketState.DONE


def rating_record(
    *,
    subject: str,
    dossier: Dossier | None = None,
    ticket: Ticket | None = None,
    answers: Mapping[str, object],
    overall: object,
    comment: object = "",
    source: str,
    tablet: RatingTablet | None = None,
    now: dt.datetime,
) -> Rating:
    """Record a resident's rating of a dossier or of a queue ticket (see the module's rules)."""
    subject = RatingSubject(subject)
    if source not in RatingSource.values:
        raise ValidationFailed("Nguồn đánh giá không hợp lệ.", code="bad_source")
    if (subject == RatingSubject.DOSSIER) != (dossier is not None) or (subject == RatingSubject.TICKET) != (
        ticket is not None
    ):
        raise ValidationFailed("Phiếu đánh giá không gắn đúng hồ sơ hoặc lượt phục vụ.", code="bad_subject")
    cleaned = clean_answers(subject, answers)
    level = clean_overall(overall)
    text = clean_comment(comment)
    officer: User | None
    if dossier is not None:
        if Rating.objects.filter(dossier=dossier).exists():
            raise Conflict(ALREADY_DOSSIER, code="already_rated")
        if not can_rate_dossier(dossier):
            raise Conflict(
                "Hồ sơ chưa có kết quả: ông/bà có thể đánh giá khi hồ sơ đã có kết quả.",
                code="not_finished",
            )
        officer = dossier.assignee or dossier.received_by
        department_id = dossier.department_id
        commune_id = dossier.commune_id
        already = ALREADY_DOSSIER
    else:
        assert ticket is not None
        if Rating.objects.filter(ticket=ticket).exists():
            raise Conflict(ALREADY_TICKET, code="already_rated")
        if not can_rate_ticket(ticket):
            raise Conflict(
                "Lượt phục vụ chưa hoàn thành: ông/bà có thể đánh giá sau khi được phục vụ xong.",
                code="not_finished",
            )
        if tablet is not None and (
            tablet.counter_id != ticket.counter_id or tablet.commune_id != ticket.commune_id
        ):
            raise NotFound(NOT_FOUND_TICKET, code="ticket_not_found")
        officer = _ticket_officer(ticket)
        department_id = officer.department_id if officer is not None else None
        commune_id = ticket.commune_id
        already = ALREADY_TICKET
    try:
        with transaction.atomic():
            return Rating.objects.create(
                commune_id=commune_id,
                subject=subject,
                dossier=dossier,
                ticket=ticket,
                questionnaire=questionnaire.VERSION,
                answers=cleaned,
                overall=level,
                comment=text,
                source=source,
                officer=officer,
                department_id=department_id,
                tablet=tablet,
                created_at=now,
            )
    except IntegrityError:
        # Another rating of the same dossier or ticket was written at the same moment.
        raise Conflict(already, code="already_rated") from None


# ---- public selectors -----------------------------------------------------------------------


def _secret_ok(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode("utf-8", "replace"))


def _rating_key_with(pk: int, secret: str, server_key: str) -> str:
    digest = salted_hmac(_RATING_KEY_SALT, f"{pk}:{secret}", secret=server_key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:RATING_KEY_BYTES]).decode()


def rating_key_of(pk: int, secret: str) -> str:
    """The rating key of the dossier with this id and tracking secret (see `rating_key`)."""
    return _rating_key_with(pk, secret, settings.SECRET_KEY)


def rating_key(dossier: Dossier) -> str:
    """The key of the dossier's rating link: an HMAC of its id and tracking secret under the
    server's SECRET_KEY (salt "motcua.quality.rating"), 96 bits in 16 URL-safe characters.
    It is not the tracking secret, so the rating link (in SMS, e-mails, notify.Message.text,
    shared by residents) never opens the tracking page, and the tracking secret does not open
    the rating page; nor can the secret be worked back from the key."""
    return rating_key_of(dossier.pk, dossier.secret)


def _rating_key_ok(dossier: Dossier, given: str) -> bool:
    """The given key against the one under SECRET_KEY and under each SECRET_KEY_FALLBACKS (a
    receipt printed before a key rotation keeps a working QR while the old key is a fallback)."""
    given_b = given.encode("utf-8", "replace")
    server_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    ok = False
    for server_key in server_keys:
        ok |= hmac.compare_digest(_rating_key_with(dossier.pk, dossier.secret, server_key).encode(), given_b)
    return ok


def dossier_for_rating(*, code: str, secret: str) -> Dossier:
    """The dossier of a rating link: by its code (or its id for a dossier without a code) and its
    rating key (`rating_key`, not the tracking secret); a wrong key is 'not found', like an
    unknown code."""
    dossier = None
    if code and secret and len(code) <= 60 and len(secret) <= _MAX_SECRET and code.isprintable():
        qs = Dossier.objects.select_related("procedure", "commune")
        if code.isascii() and code.isdigit() and len(code) <= 18:
            dossier = qs.filter(pk=int(code), code__isnull=True).first() if int(code) <= _MAX_ID else None
        else:
            dossier = qs.filter(code=code).first()
    if dossier is None or not _rating_key_ok(dossier, secret):
        raise NotFound(NOT_FOUND_DOSSIER, code="dossier_not_found")
    return dossier


def ticket_for_rating(*, pk: int, secret: str) -> Ticket:
    ticket = None
    if 0 < pk <= _MAX_ID and secret and len(secret) <= _MAX_SECRET:
        ticket = Ticket.objects.select_related("commune", "queue_group", "counter").filter(pk=pk).first()
    if ticket is None or not _secret_ok(ticket.secret, secret):
        raise NotFound(NOT_FOUND_TICKET, code="ticket_not_found")
    return ticket


def rating_of_dossier(dossier: Dossier) -> Rating | None:
    return Rating.objects.filter(dossier=dossier).first()


def rating_of_ticket(ticket: Ticket) -> Rating | None:
    return Rating.objects.filter(ticket=ticket).first()


def rating_path_of_dossier(dossier: Dossier, *, source: str = "") -> str:
    """The rating page of the dossier (relative), with `?nguon=` for the given source key."""
    from django.urls import reverse

    path = reverse("ratings:dossier", args=[dossier.code or str(dossier.pk), rating_key(dossier)])
    return f"{path}?nguon={source}" if source else path


def rating_url_of_dossier(dossier: Dossier, *, source: str = "") -> str:
    return f"{settings.MOTCUA_PUBLIC_URL}{rating_path_of_dossier(dossier, source=source)}"


def rating_status_by_code(code: str) -> tuple[str, bool] | None:
    """For the tracking page: (the rating page's path from the tracking page, already rated) when
    the dossier of this code can be rated, else None. One query."""
    row = (
        Dossier.objects.filter(code=code).values("pk", "code", "secret", "state", "rating__id").first()
        if code
        else None
    )
    if row is None or row["state"] not in RATEABLE_STATES:
        return None
    from django.urls import reverse

    path = (
        reverse("ratings:dossier", args=[row["code"], rating_key_of(row["pk"], row["secret"])])
        + "?nguon=tra-cuu"
    )
    return path, row["rating__id"] is not None


def answers_shown(rating: Rating) -> list[tuple[str, str]]:
    """(question, the chosen option's label) of a rating, in the questionnaire's order."""
    rows = []
    for q in questionnaire.QUESTIONS:
        if q["code"] in rating.answers:
            labels = dict(q["options"])
            rows.append((q["text"], labels.get(rating.answers[q["code"]], str(rating.answers[q["code"]]))))
    return rows


# ---- tablets ----------------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def tablet_create(
    *, commune: Commune, counter_number: int, now: dt.datetime, name: str = "", created_by: User | None = None
) -> tuple[RatingTablet, str]:
    """A new tablet at counter `counter_number` of the commune and its token, returned once."""
    counter = (
        Counter.objects.filter(commune=commune, number=counter_number).first()
        if 0 < counter_number < 32768
        else None
    )
    if counter is None:
        raise NotFound(f"{commune.name} không có quầy số {counter_number}.", code="counter_not_found")
    label = " ".join(clean_text(name).split()) or f"{TABLET_DEFAULT_NAME} quầy {counter.number}"
    if len(label) > 100:
        raise ValidationFailed("Tên máy đánh giá dài quá 100 ký tự.", code="tablet_name_too_long")
    raw = secrets.token_urlsafe(32)
    tablet = RatingTablet.objects.create(
        commune=commune, counter=counter, name=label, token_sha256=token_hash(raw), created_at=now,
        created_by=created_by,
    )  # fmt: skip
    return tablet, raw


def tablet_by_token(raw: str) -> RatingTablet:
    """The unrevoked tablet of this token at an open counter, else TabletUnauthorized (401)."""
    tablet = None
    if raw and len(raw) <= _MAX_TOKEN and "\x00" not in raw:
        tablet = (
            RatingTablet.objects.select_related("commune", "counter")
            .filter(token_sha256=token_hash(raw), revoked_at__isnull=True)
            .first()
        )
    if tablet is None or not tablet.counter.active or tablet.counter.commune_id != tablet.commune_id:
        raise TabletUnauthorized(TABLET_REFUSED)
    return tablet


def tablet_touch(tablet: RatingTablet, *, now: dt.datetime) -> None:
    if tablet.last_used_at is not None and now - tablet.last_used_at < TOUCH_EVERY:
        return
    RatingTablet.objects.filter(pk=tablet.pk).update(last_used_at=now)
    tablet.last_used_at = now


def window() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.MOTCUA_RATING_TABLET_WINDOW_MINUTES))


def tablet_pending_ticket(*, tablet: RatingTablet, now: dt.datetime) -> Ticket | None:
    """The ticket the tablet asks about: the most recent one finished at its counter within the
    window and not yet rated (None: the idle screen)."""
    latest = (
        Ticket.objects.filter(
            commune_id=tablet.commune_id,
            counter_id=tablet.counter_id,
            state=TicketState.DONE,
            finished_at__gte=now - window(),
            finished_at__lte=now,
        )
        .select_related("queue_group")
        .order_by("-finished_at", "-id")
        .first()
    )
    if latest is None or Rating.objects.filter(ticket=latest).exists():
        return None
    return latest


def tablet_ticket(*, tablet: RatingTablet, raw_id: object, now: dt.datetime) -> Ticket:
    """The posted ticket, only if it is one of the tablet's counter (else NotFound) and was
    finished there within the window (else Conflict: it is rated from the phone's page)."""
    text = "" if raw_id is None else str(raw_id).strip()
    ticket = None
    if text.isascii() and text.isdigit() and 0 < len(text) <= 18:
        ticket = (
            Ticket.objects.select_related("counter")
            .filter(pk=int(text), commune_id=tablet.commune_id, counter_id=tablet.counter_id)
            .first()
        )
    if ticket is None:
        raise NotFound(NOT_FOUND_TICKET, code="ticket_not_found")
    if ticket.finished_at is not None and ticket.finished_at < now - window():
        raise Conflict("Lượt phục vụ này đã quá thời gian đánh giá tại quầy.", code="tablet_window_over")
    return ticket
