from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from facilities import demo as facilities_demo
from projects import demo as projects_demo


class Command(BaseCommand):
    help = "Create the demo facility, research groups, projects and users. Running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Seed even though DEBUG is off (the demo users have a published password).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has research groups."
        )

    def handle(self, *args, **options):
        if not (settings.DEBUG or options["demo"]):
            raise CommandError(
                "Refusing to create demo users with a published password: DEBUG is off. "
                "Pass --demo if this really is a demonstration instance."
            )
        if options["if_empty"] and projects_demo.has_data():
            self.stdout.write("The database already has data; no demo data loaded.")
            return
        with transaction.atomic():
            users = projects_demo.seed()
            facilities_demo.seed(users)
        self.stdout.write(self.style.WARNING("Demo data loaded: these logins are for demonstration only."))
        for username in projects_demo.DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} password: {projects_demo.DEMO_PASSWORD}")
