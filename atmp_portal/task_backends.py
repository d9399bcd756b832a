"""A task backend for development and tests: no worker, each task runs in the web process."""

from functools import partial

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend


class OnCommitBackend(ImmediateBackend):
    """Runs each task once the transaction that enqueued it commits, as a worker would see it.

    ``make run`` and the tests use it; ``make serve`` queues tasks in the database for the worker.
    """

    def _execute_task(self, task_result) -> None:
        transaction.on_commit(partial(super()._execute_task, task_result), robust=True)
