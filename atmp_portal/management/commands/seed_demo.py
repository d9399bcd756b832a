import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from atmp_portal.database_roles import as_owner
from facilities import demo as facilities_demo
from facilities import scale as facilities_scale
from projects import demo as projects_demo
from projects import scale as projects_scale


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
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Also load N units of load data (each 20 users, 50 projects, 2 resources, 2,000 bookings); "
            "units already loaded are kept.",
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
        if not 0 <= options["scale"] <= 1000:
            raise CommandError("--scale takes a number of units from 0 to 1000.")
        with transaction.atomic():
            users = projects_demo.seed()
            facilities_demo.seed(users)
        if options["scale"]:
            self.seed_scale(options["scale"])
        self.stdout.write(self.style.WARNING("Demo data loaded: these logins are for demonstration only."))
        for username in projects_demo.DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} password: {projects_demo.DEMO_PASSWORD}")

    def seed_scale(self, scale: int) -> None:
        started = time.monotonic()
        units = sorted(set(range(scale)) - projects_scale.existing_units())
        # As the owner: the bulk load skips the bookings' audit trigger, which only the owner role may
        # (atmp_portal.database_roles), and records the same events in one statement.
        with as_owner(), transaction.atomic():
            if units:
                facilities_scale.seed(projects_scale.seed(units))
        with connection.cursor() as cursor:
            # Fresh planner statistics: without them the first queries after a bulk load pick scans of whole tables.
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Load data: {len(units)} new unit(s) of {scale} in {time.monotonic() - started:.1f} s "
            f"({len(units) * projects_scale.USERS_PER_UNIT} users, "
            f"{len(units) * projects_scale.GROUPS_PER_UNIT * projects_scale.PROJECTS_PER_GROUP} projects, "
            f"{len(units) * 2 * len(facilities_scale.booking_periods())} bookings)."
        )
