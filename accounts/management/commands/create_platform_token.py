"""Creates a Platform API app and prints its token (shown only here)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create a platform app and print its api_access_token for /platform/api/v1/."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)

    def handle(self, *args, **opts) -> None:
        try:
            new = services.platform_app_create(name=opts["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            json.dumps({"platform_app_id": new.app.pk, "api_access_token": new.token})
        )
