"""Creates an account and its administrator without prompts; prints JSON with the ids and the
administrator's API token (shown only here)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create an account and its administrator; print account_id, user_id, api_access_token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True, help="Company (account) name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--locale", default="pt-br", choices=["pt-br", "en"])
        parser.add_argument("--timezone", default=None, help="Default: America/Sao_Paulo")

    def handle(self, *args, **opts) -> None:
        try:
            new = services.account_create_with_admin(
                name=opts["name"],
                admin_email=opts["admin_email"],
                admin_name=opts["admin_name"],
                password=opts["password"],
                locale=opts["locale"],
                timezone_name=opts["timezone"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "account_id": new.account.pk,
                    "user_id": new.admin.user_id,
                    "api_access_token": new.api_access_token,
                }
            )
        )
