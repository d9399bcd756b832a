from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atmp_portal import backups


class Command(BaseCommand):
    help = "Write a pg_dump archive (custom format) of the database into BACKUP_DIR under a timestamped name."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="where to write it (default: BACKUP_DIR, .data/backups)")

    def handle(self, *args, **options):
        try:
            path = backups.backup(options["directory"] or Path(settings.BACKUP_DIR))
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written: {path} ({path.stat().st_size:,} bytes)")
