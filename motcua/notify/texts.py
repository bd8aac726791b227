"""The Vietnamese texts residents receive (issue 9 §6), one function per event.

Every text fits one SMS: at most 160 characters once the diacritics are removed (`sms_text`),
which is how the SMS sender sends it (a brandname SMS in Unicode holds only 70 characters).
Callers pass the text to `notify.services.notify`, which appends the opt-out hint only if it
still fits.
"""

from __future__ import annotations

import datetime as dt

from unidecode import unidecode

from motcua.core.text import clean_text

SMS_MAX = 160


def sms_text(text: str) -> str:
    """The text without Vietnamese diacritics (đ→d, «…» → <<…>>), one line, plain ASCII."""
    return " ".join(unidecode(clean_text(text)).split())


def sms_fits(text: str) -> bool:
    return len(sms_text(text)) <= SMS_MAX


def _date(day: dt.date | dt.datetime | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else "—"


def _fit(text: str) -> str:
    """Cut a text that would not fit one SMS (a very long code or name) at a word, with «…»."""
    if sms_fits(text):
        return text
    words = text.split()
    while words and not sms_fits(" ".join(words) + "…"):
        words.pop()
    return " ".join(words) + "…"


def dossier_received(code: str, return_date: dt.date | None) -> str:
    return _fit(f"Hồ sơ {code} đã được tiếp nhận. Ngày hẹn trả kết quả: {_date(return_date)}.")


def dossier_supplement(code: str) -> str:
    return _fit(
        f"Hồ sơ {code} cần bổ sung giấy tờ. Mời ông/bà xem hướng dẫn bổ sung và nộp lại tại bộ phận một cửa."
    )


def dossier_delayed(code: str, new_date: dt.date | None) -> str:
    return _fit(
        f"Xin lỗi ông/bà: hồ sơ {code} trễ hẹn. Ngày hẹn trả mới: {_date(new_date)}. Mong ông/bà thông cảm."
    )


def dossier_result_ready(code: str) -> str:
    return _fit(f"Hồ sơ {code} đã có kết quả. Mời ông/bà đến bộ phận một cửa nhận kết quả.")


def feedback_received(code: str) -> str:
    return _fit(f"Phản ánh {code} đã được tiếp nhận. Cảm ơn ông/bà đã góp ý.")


def feedback_changed(code: str, state_label: str) -> str:
    return _fit(f"Phản ánh {code}: {state_label}.")


def queue_almost(number: str, ahead: int) -> str:
    return _fit(f"Số {number}: còn {ahead} người trước ông/bà. Mời ông/bà đến gần quầy.")


def opt_out_confirm(link: str) -> str:
    return f"Ngừng nhận thông báo một cửa: {link}"


def opt_out_hint(link: str) -> str:
    return f" Từ chối nhận tin: {link}"
