import datetime as dt

from django.db.models import Q

from .models import CalendarDay
from .workdays import WorkCalendar


def calendar_for_province(province_id: int | None) -> WorkCalendar:
    """The working calendar of a province: national exceptions plus the province's own.

    Where both declare the same date the province wins: it knows its local situation (a
    storm, a provincial festival) better than the national announcement made for everyone.
    """
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
