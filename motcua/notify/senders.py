"""The gateways behind one interface: `sender_for(channel).send(message) -> SendResult`.

CONSOLE writes to the `motcua.notify` logger (the demo and tests read it); EMAIL uses Django's
e-mail framework (EMAIL_BACKEND: SMTP in production, locmem in tests); SMS posts to a brandname
gateway; ZALO posts a ZNS template message. The HTTP adapters send our message id as the
gateway's request id (`X-Request-Id` and `request_id`/`tracking_id`), so a gateway that
deduplicates on it never delivers a retried message twice (see sending.py).

A sender never touches the database: sending.py records what it returns.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage

from motcua.core.text import mask_digits

from .models import Channel, Message
from .texts import sms_fits, sms_text

log = logging.getLogger("motcua.notify")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_ref: str = ""
    detail: str = ""
    # A temporary failure (gateway down, timeout, 5xx, 429): try again later. Otherwise the
    # message cannot be sent on this channel (bad number, Zalo user not found, template error).
    retryable: bool = False


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> SendResult: ...


def request_id(message: Message) -> str:
    return f"motcua-{message.pk}"


def phone_84(phone: str) -> str:
    """0905123456 / +84905123456 / 84905123456 → 84905123456 (Zalo's form)."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84"):
        return digits
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def _post_json(url: str, payload: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, str]:
    """POST JSON; returns (status, parsed JSON or None, a short detail). Status 0: no answer."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    if not url.startswith(("https://", "http://")):
        return 0, None, "địa chỉ cổng gửi phải bắt đầu bằng https:// hoặc http://"
    req = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=data, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    timeout = float(getattr(settings, "MOTCUA_NOTIFY_HTTP_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (configured URL)
            status, raw = resp.status, resp.read(65536)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(65536) if exc.fp else b""
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        return 0, None, f"không kết nối được cổng gửi: {exc}"[:500]
    try:
        body = json.loads(raw.decode() or "null")
    except (ValueError, UnicodeDecodeError):
        body = None
    return status, body, f"HTTP {status}: {raw[:300].decode(errors='replace')}"[:500]


def _http_retryable(status: int) -> bool:
    return status == 0 or status == 429 or status >= 500


class ConsoleSender:
    name = "console"

    def send(self, message: Message) -> SendResult:
        # The recipient masked as in every log (the last 2 digits; an e-mail's first letter and domain).
        to = message.recipient
        masked = f"{to[:1]}***@{to.partition('@')[2]}" if "@" in to else mask_digits(to)
        log.info("Thông báo #%s (%s) tới %s: %s", message.pk, message.topic, masked, message.body)
        return SendResult(ok=True, provider_ref=f"console-{message.pk}")


class EmailSender:
    name = "email"

    def send(self, message: Message) -> SendResult:
        email = EmailMessage(
            subject=message.email_subject or "Thông báo từ bộ phận một cửa",
            body=message.body,
            to=[message.recipient],
            headers={"X-Motcua-Message": request_id(message)},
        )
        try:
            email.send(fail_silently=False)
        except (OSError, ConnectionError) as exc:  # SMTP down, refused, timed out
            return SendResult(ok=False, detail=f"máy chủ thư: {exc}"[:500], retryable=True)
        except Exception as exc:  # an address the server refuses for good
            return SendResult(ok=False, detail=f"thư bị từ chối: {exc}"[:500])
        return SendResult(ok=True, provider_ref=request_id(message))


class SmsSender:
    """A brandname SMS gateway: POST {phone, message, brandname, request_id} with the API key;
    success is HTTP 2xx and a JSON body with "ok": true (its "id" is kept as provider_ref)."""

    name = "sms"

    def send(self, message: Message) -> SendResult:
        url = settings.MOTCUA_SMS_URL
        if not url:
            return SendResult(ok=False, detail="chưa cấu hình MOTCUA_SMS_URL")
        text = sms_text(message.body)
        if not sms_fits(text):
            return SendResult(ok=False, detail=f"tin dài {len(text)} ký tự, quá 160")
        status, body, detail = _post_json(
            url,
            {"phone": message.recipient, "message": text, "brandname": settings.MOTCUA_SMS_BRANDNAME,
             "request_id": request_id(message)},
            {"Authorization": f"Bearer {settings.MOTCUA_SMS_KEY}", "X-Request-Id": request_id(message)},
        )  # fmt: skip
        if 200 <= status < 300 and isinstance(body, dict) and body.get("ok") is True:
            return SendResult(ok=True, provider_ref=str(body.get("id", ""))[:120], detail=detail)
        return SendResult(ok=False, detail=detail, retryable=_http_retryable(status))


class ZaloSender:
    """Zalo ZNS: POST {phone: 84…, template_id, template_data, tracking_id} with the OA's
    access token; success is HTTP 2xx and "error": 0 (Zalo's answer), its data.msg_id kept."""

    name = "zalo"

    def send(self, message: Message) -> SendResult:
        url = settings.MOTCUA_ZALO_URL
        template = message.template or settings.MOTCUA_ZALO_TEMPLATE_ID
        if not url or not template:
            return SendResult(ok=False, detail="chưa cấu hình MOTCUA_ZALO_URL / MOTCUA_ZALO_TEMPLATE_ID")
        status, body, detail = _post_json(
            url,
            {"phone": phone_84(message.recipient), "template_id": template,
             "template_data": message.params or {"noi_dung": message.body},
             "tracking_id": request_id(message)},
            {"access_token": settings.MOTCUA_ZALO_TOKEN, "X-Request-Id": request_id(message)},
        )  # fmt: skip
        if 200 <= status < 300 and isinstance(body, dict) and body.get("error") == 0:
            data = body["data"] if isinstance(body.get("data"), dict) else {}
            return SendResult(ok=True, provider_ref=str(data.get("msg_id", ""))[:120], detail=detail)
        # A JSON error from Zalo (user not found, template refused…) is final: fall back to SMS.
        return SendResult(ok=False, detail=detail, retryable=_http_retryable(status))


_SENDERS: dict[str, Sender] = {
    Channel.CONSOLE: ConsoleSender(),
    Channel.EMAIL: EmailSender(),
    Channel.SMS: SmsSender(),
    Channel.ZALO: ZaloSender(),
}


def sender_for(channel: str) -> Sender:
    return _SENDERS[channel]


def send(message: Message) -> SendResult:
    return sender_for(message.channel).send(message)
