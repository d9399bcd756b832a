from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from atmp_portal import backups


class Command(BaseCommand):
    help = "Restore a pg_dump archive (make backup) into the configured database, which must be empty."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            backups.restore(options["file"])
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {options['file']}; the runtime role's privileges are granted.")
