from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacy import services


class Command(BaseCommand):
    help = "Anonymise a person who has left: pseudonym instead of name, e-mail and username; account shut."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user {username!r}.") from error
        services.anonymise_user(user)
        self.stdout.write(f"{username} is now {user.username}.")
