"""Seed the benchmark database and write the load generator's inputs.

    python bench/seed.py OUT_DIR [N_DOSSIERS]

Creates, with the project's own test factories and services:
- BENCH_COMMUNES communes (Đà Nẵng), each with a counter officer and an API token;
- N_DOSSIERS received dossiers in the first commune: the first 250 through `dossier_intake`
  (yesterday), exactly as the counter makes them; the rest are copies of those rows (dossier
  and control-sheet entries) with their own code, phone, secret and an earlier day, inserted
  in bulk so that seeding 5,000 takes seconds instead of a minute. Today's numbering is left
  untouched for the receipt benchmark;
and writes OUT_DIR/lookup.txt ("CODE PHONE_LAST4" per line) and OUT_DIR/intake.txt (line 1:
procedure code and checklist ids; then one bearer token per line).
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

import django

N_COMMUNES = int(os.environ.get("BENCH_COMMUNES", "4"))
PER_DAY = 250


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    django.setup()
    if sys.argv[1] == "reset":
        reset(Path(sys.argv[2]))
    else:
        seed(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5000)


def reset(out: Path) -> None:
    """Back to the seeded state: drop what the receipt benchmark added, so that every server
    configuration of one run meets the same tables (and vacuum, so no dead rows remain)."""
    from django.db import connection
    from django.utils import timezone

    from motcua.core import clock
    from motcua.core.models import RateCounter
    from motcua.dossiers.models import ControlEntry, Dossier, DossierSequence

    last = int((out / "seeded_max_pk").read_text())
    RateCounter.objects.all().delete()  # the limiter's counters of the previous configuration
    ControlEntry.objects.filter(dossier_id__gt=last).delete()
    Dossier.objects.filter(pk__gt=last).delete()
    DossierSequence.objects.filter(day__gte=timezone.localdate(clock.now()) - dt.timedelta(days=1)).delete()
    with connection.cursor() as cur:
        for model in (Dossier, ControlEntry, DossierSequence, RateCounter):
            cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def seed(out: Path, n: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from motcua.core import clock
    from motcua.dossiers.models import ControlEntry, Dossier, new_secret
    from motcua.dossiers.services import Applicant, dossier_intake
    from motcua.org.models import ApiToken, Role
    from motcua.testing import land_procedure, make_commune, make_user

    rng = random.Random(20260210)
    t0 = time.monotonic()
    now = clock.now()

    def phone() -> str:
        return "09" + "".join(rng.choice("0123456789") for _ in range(8))

    with transaction.atomic():
        procedure = land_procedure()
        checklist = list(procedure.checklist.values_list("id", flat=True))
        officers = []
        for i in range(N_COMMUNES):
            code = 20209 + i
            commune = make_commune(code=code, name=f"Phường Thử Nghiệm {i + 1}", agency=f"H48.{code}")
            officers.append(make_user(commune, Role.COUNTER_OFFICER, f"bench_motcua_{i + 1}"))
        tokens = []
        for officer in officers:
            raw = ApiToken.new_raw()
            ApiToken.objects.create(user=officer, name="bench", key_hash=ApiToken.hash(raw), created_at=now)
            tokens.append(raw)

        real = []
        for k in range(min(n, PER_DAY)):
            at = now - dt.timedelta(days=1, minutes=k)
            real.append(
                dossier_intake(
                    actor=officers[0],
                    procedure=procedure,
                    applicant=Applicant(name=f"Người Nộp Thử {k}", phone=phone()),
                    form_data={},
                    checklist_ticked=checklist,
                    outcome="receive",
                    now=at,
                )
            )
        assert officers[0].commune is not None
        agency = officers[0].commune.agency_code
        entries = {e.dossier_id: e for e in ControlEntry.objects.filter(dossier__in=real)}
        copies: list[Dossier] = []
        for k in range(len(real), n):
            src = real[k % len(real)]
            shift = dt.timedelta(days=1 + k // PER_DAY)
            d = copy.copy(src)
            d.pk = d.id = None
            d._state = type(src._state)()
            d.applicant_phone = phone()
            d.applicant_name = f"Người Nộp Thử {k}"
            d.secret = new_secret()
            # Numbers from 1001 on cannot meet the ones dossier_intake handed out (≤ 250 a day).
            assert src.received_at is not None
            day = timezone.localtime(src.received_at - shift).date()
            d.code = f"{agency}-{day:%y%m%d}-{1001 + k % PER_DAY:04d}"
            for f in ("created_at", "received_at", "first_received_at", "due_at"):
                setattr(d, f, getattr(src, f) - shift)
            copies.append(d)
        Dossier.objects.bulk_create(copies, batch_size=1000)
        new_entries = []
        for d, k in zip(copies, range(len(real), n), strict=True):
            e = copy.copy(entries[real[k % len(real)].pk])
            e.pk = e.id = None
            e._state = type(e._state)()
            e.dossier = d
            new_entries.append(e)
        ControlEntry.objects.bulk_create(new_entries, batch_size=1000)
        targets = [f"{d.code} {d.applicant_phone[-4:]}" for d in [*real, *copies]]
    rng.shuffle(targets)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # planner statistics, as a live database has them
    (out / "seeded_max_pk").write_text(str(Dossier.objects.order_by("-pk").values_list("pk", flat=True)[0]))
    (out / "lookup.txt").write_text("\n".join(targets) + "\n")
    (out / "intake.txt").write_text(
        " ".join([procedure.code, *map(str, checklist)]) + "\n" + "\n".join(tokens) + "\n"
    )
    print(
        f"seed: {n} dossiers ({len(real)} through dossier_intake, {len(copies)} bulk copies),"
        f" {N_COMMUNES} communes with a counter officer and token each, in {time.monotonic() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
