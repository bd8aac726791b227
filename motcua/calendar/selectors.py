from django.db.models import Q

from .models import CalendarDay
from .workdays import WorkCalendar


def calendar_for_province(province_id: int | None) -> WorkCalendar:
    """The working calendar of a province: national exceptions plus the province's own."""
    rows = CalendarDay.objects.filter(Q(province__isnull=True) | Q(province_id=province_id)).values_list(
        "date", "kind"
    )
    off = [d for d, k in rows if k == CalendarDay.Kind.DAY_OFF]
    work = [d for d, k in rows if k == CalendarDay.Kind.WORK_DAY]
    return WorkCalendar.build(days_off=off, work_days=work)
