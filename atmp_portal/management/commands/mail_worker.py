import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger(__name__)

# How long the worker waits before it looks for the database again.
RECONNECT_SECONDS = 5


class Command(db_worker.Command):
    help = "Send the queued e-mails (django-tasks' db_worker that waits out a database outage)."

    def handle(self, *args, **options):
        options["reload"] = False  # restarting mid-send could send an e-mail twice
        while True:
            try:
                return super().handle(*args, **options)
            except (OperationalError, InterfaceError) as error:
                logger.warning("The database is away (%s); looking again in %s s", error, RECONNECT_SECONDS)
                connections.close_all()
                time.sleep(RECONNECT_SECONDS)
