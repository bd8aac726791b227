from django.db import models


class CalendarDay(models.Model):
    """A day that differs from the national calendar: a substitute day off or a make-up
    working day announced by the government (province empty) or by one province."""

    class Kind(models.TextChoices):
        DAY_OFF = "DAY_OFF", "Ngày nghỉ"
        WORK_DAY = "WORK_DAY", "Ngày làm việc bù"

    province = models.ForeignKey(
        "geo.Province", on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_days"
    )
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["province", "date"], name="one_exception_per_day_and_province"),
            # NULLs are distinct in the constraint above, so the national rows need their own.
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(province__isnull=True),
                name="one_national_exception_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"
