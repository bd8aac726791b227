from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import User
from motcua.org.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Cấp hoặc thu hồi mã truy cập API của một cán bộ: api_token create|revoke USERNAME NAME"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("username")
        parser.add_argument("name")

    def handle(self, *args: object, **options: str) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có tài khoản {options['username']}.") from exc
        try:
            if options["action"] == "create":
                raw = api_token_create(user=user, name=options["name"], now=clock.now())
                self.stdout.write(raw)
            else:
                api_token_revoke(user=user, name=options["name"], now=clock.now())
                self.stdout.write("Đã thu hồi.")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
