"""`motcua open311-key <commune code> [--name APP]`: issue an Open311 API key for an app of the
commune; the key is printed once, on the last line (only its SHA-256 is stored).
`--revoke APP` revokes the commune's live keys of that app instead."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.feedback.open311.keys import open311_key_create, open311_key_revoke
from motcua.geo.models import Commune


class Command(BaseCommand):
    help = "Cấp khoá Open311 cho một ứng dụng của xã, phường: open311-key MÃ_XÃ [--name TÊN] [--revoke TÊN]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("commune", help="mã xã, phường (jurisdiction_id)")
        parser.add_argument("--name", default="Ứng dụng Open311", help="tên ứng dụng dùng khoá")
        parser.add_argument("--revoke", metavar="TÊN", help="thu hồi mọi khoá đang hiệu lực của ứng dụng này")

    def handle(self, *args: object, **options: str) -> None:
        raw = str(options["commune"])
        commune = Commune.objects.filter(code=int(raw)).first() if raw.isascii() and raw.isdigit() else None
        if commune is None:
            raise CommandError(f"Không có xã, phường mã {raw}.")
        try:
            if options.get("revoke"):
                count = open311_key_revoke(commune=commune, name=options["revoke"], now=clock.now())
                self.stdout.write(f"Đã thu hồi {count} khoá.")
                return
            key = open311_key_create(commune=commune, name=options["name"], now=clock.now())
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Khoá Open311 của {commune.name} (jurisdiction_id={commune.code}), chỉ hiện một lần:"
        )
        self.stdout.write(key)
