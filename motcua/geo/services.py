"""Loading the official list of provinces and communes from the `vietnam-provinces` package."""

from django.db import transaction
from vietnam_provinces import Province as VPProvince
from vietnam_provinces import Ward as VPWard

from motcua.core.text import fold

from .models import Commune, Province


@transaction.atomic
def geo_load_official_units() -> tuple[int, int]:
    """Insert or refresh the 34 provinces and 3,321 communes. Idempotent; keeps agency codes."""
    provinces = [Province(code=int(p.code), name=p.name, codename=p.codename) for p in VPProvince.iter_all()]
    Province.objects.bulk_create(
        provinces, update_conflicts=True, unique_fields=["code"], update_fields=["name", "codename"]
    )
    communes = [
        Commune(
            code=int(w.code),
            name=w.name,
            division_type=str(w.division_type.value),
            codename=w.codename,
            province_id=int(w.province_code),
            name_folded=fold(w.name),
        )
        for w in VPWard.iter_all()
    ]
    Commune.objects.bulk_create(
        communes,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "division_type", "codename", "province", "name_folded"],
    )
    return len(provinces), len(communes)
