import datetime
import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# How long the worker waits before it looks for the database again.
RECONNECT_SECONDS = 5
# A task still running after this long belongs to a worker that was killed: it is queued again.
STALLED_AFTER = datetime.timedelta(minutes=15)


class Command(db_worker.Command):
    help = "Send the queued e-mails (django-tasks' db_worker that waits out a database outage)."

    def handle(self, *args, **options):
        options["reload"] = False  # restarting mid-send could send an e-mail twice
        while True:
            try:
                stalled = DBTaskResult.objects.running().filter(started_at__lt=timezone.now() - STALLED_AFTER)
                if count := stalled.update(status=TaskResultStatus.READY):
                    logger.warning("Queued again %s tasks left running by a stopped worker", count)
                return super().handle(*args, **options)
            except (OperationalError, InterfaceError) as error:
                logger.warning("The database is away (%s); looking again in %s s", error, RECONNECT_SECONDS)
                connections.close_all()
                time.sleep(RECONNECT_SECONDS)
