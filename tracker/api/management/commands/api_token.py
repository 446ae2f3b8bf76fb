"""Issue an API token from the command line; the secret is printed once and never stored."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.api.services import api_token_create


class Command(BaseCommand):
    help = "Issue an API token for a user (by username or e-mail) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("user", help="Username or e-mail address of the account.")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, user, name, **options):
        User = get_user_model()
        account = User.objects.filter(username=user).first() or User.objects.filter(email__iexact=user).first()
        if account is None or not account.is_active:
            raise CommandError(f"No active user {user!r}.")
        _row, secret = api_token_create(user=account, name=name)
        self.stdout.write(secret)
