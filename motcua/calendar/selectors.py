import datetime as dt
import time

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from .models import CalendarDay
from .workdays import WorkCalendar

# Each receipt and step computes a deadline with its province's calendar; the calendar changes
# a few times a year. Kept per process for a minute, dropped at once by a change made in it.
_TTL_S = 60.0
_cache: dict[int | None, tuple[float, WorkCalendar]] = {}


def _forget(**_kwargs: object) -> None:
    _cache.clear()


post_save.connect(_forget, sender=CalendarDay, dispatch_uid="calendar_cache_save")
post_delete.connect(_forget, sender=CalendarDay, dispatch_uid="calendar_cache_delete")


def calendar_for_province(province_id: int | None) -> WorkCalendar:
    """The working calendar of a province: national exceptions plus the province's own.

    Where both declare the same date the province wins: it knows its local situation (a
    storm, a provincial festival) better than the national announcement made for everyone.
    """
    hit = _cache.get(province_id)
    if hit is not None and time.monotonic() - hit[0] < _TTL_S:
        return hit[1]
    _cache[province_id] = (time.monotonic(), _load(province_id))
    return _cache[province_id][1]


def _load(province_id: int | None) -> WorkCalendar:
    rows = CalendarDay.objects.filter(Q(province__isnull=True) | Q(province_id=province_id)).values_list(
        "date", "kind", "province_id"
    )
    # National rows first, so the province's row for the same date overwrites them.
    kinds: dict[dt.date, str] = {
        date: kind for date, kind, province in sorted(rows, key=lambda row: row[2] is not None)
    }
    return WorkCalendar.build(
        days_off=[d for d, k in kinds.items() if k == CalendarDay.Kind.DAY_OFF],
        work_days=[d for d, k in kinds.items() if k == CalendarDay.Kind.WORK_DAY],
    )
