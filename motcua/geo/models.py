from django.db import models
from django.db.models.functions import Upper


class Province(models.Model):
    """One of the 34 provinces and centrally-run cities since 1 July 2025."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = "tỉnh, thành phố"

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune, ward or special zone (3,321 of them): the tenant of everything else.

    `agency_code` is the receiving agency's identifier printed in dossier codes
    (`<agency code>-<YYMMDD>-<NNNN>`). It is set when a commune is onboarded because the
    identifiers are issued by each province; until then it is blank and the commune cannot
    receive dossiers.
    """

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=30)
    codename = models.CharField(max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    agency_code = models.CharField(max_length=30, blank=True, db_index=True)
    name_folded = models.CharField(max_length=100, db_index=True)

    class Meta:
        ordering = ["province_id", "code"]
        verbose_name = "xã, phường"
        constraints = [
            # Dossier numbering keeps one counter per agency code and prints it upper-cased: two
            # communes whose codes differ only in case would issue the same dossier codes.
            models.UniqueConstraint(
                Upper("agency_code"), condition=~models.Q(agency_code=""), name="one_commune_per_agency_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LegacyUnit(models.Model):
    """An old (pre-2025) commune or ward that was merged into `commune`.

    Kept so that addresses and registers written in the old form can be shown and converted.
    """

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="legacy_units")
    name = models.CharField(max_length=100)
    district = models.CharField(max_length=100)
    province = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        unique_together = [("commune", "name", "district")]

    def __str__(self) -> str:
        return f"{self.name}, {self.district}"
