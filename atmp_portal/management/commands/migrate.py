"""``migrate`` as the owner role, then the runtime role's privileges (atmp_portal.database_roles).

The portal's own role may not create or alter tables. The grants follow every run, new tables included;
tests and ``make`` targets migrate through this command too.
"""

from django.core.management.commands import migrate

from atmp_portal.database_roles import apply_grants, as_owner


class Command(migrate.Command):
    help = migrate.Command.help + " Connects as the owner role (MIGRATE_DATABASE_URL) and grants the runtime role."

    def handle(self, *args, **options):
        with as_owner(options["database"]) as connection:
            super().handle(*args, **options)
            if not options["plan"]:
                apply_grants(connection)
