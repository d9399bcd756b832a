"""Every e-mail of the portal leaves through a task queue in the database, never from the request.

``enqueue(message)`` writes the message as a task in the current transaction: it is sent if and
only if the change that caused it commits. A worker (``manage.py mail_worker``) sends it with
``EMAIL_BACKEND``; a failed attempt is tried again later, each wait twice the one before, and after
``EMAIL_MAX_ATTEMPTS`` the task stays failed in the admin, where it can be sent again.

Each message is written in its recipients' language (``in_their_languages``) and says it was sent by a
machine (``Auto-Submitted``, RFC 3834), so that out-of-office replies do not answer it.
"""

import base64
import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.dispatch import receiver
from django.utils import timezone, translation
from django_tasks import TaskResult, TaskResultStatus, task
from django_tasks.signals import task_finished
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def enqueue(message: EmailMessage) -> None:
    """Queue ``message``; call it inside the transaction of the change the e-mail is about."""
    message.extra_headers.setdefault("Auto-Submitted", "auto-generated")
    deliver_email.enqueue(to_json(message))


def in_their_languages(recipients: Iterable) -> Iterator[list[str]]:
    """The addresses of ``recipients`` (users or e-mail addresses), one group per language, with that language
    active while the caller writes the group's message.

    The language is the one in the preferences of the user with the address; an address without a user, or a
    user who chose none, gets the site's. One query, however many recipients.
    """
    addresses = {each if isinstance(each, str) else each.email for each in recipients} - {""}
    if not addresses:
        return
    chosen = dict(
        get_user_model()
        .objects.filter(email__in=addresses)
        .exclude(notification_preferences__language="")
        .values_list("email", "notification_preferences__language")
    )
    by_language = defaultdict(list)
    for address in sorted(addresses):
        by_language[chosen.get(address) or settings.LANGUAGE_CODE].append(address)
    for language, group in sorted(by_language.items()):
        with translation.override(language):
            yield group


def to_json(message: EmailMessage) -> dict:
    """The message as JSON for the queue: text attachments as they are, binary ones in base64."""
    attachments = []
    for filename, content, mimetype in message.attachments:
        if isinstance(content, bytes):
            attachments.append([filename, base64.b64encode(content).decode("ascii"), mimetype, "base64"])
        else:
            attachments.append([filename, content, mimetype, "text"])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": message.extra_headers,
        "alternatives": [list(alternative) for alternative in getattr(message, "alternatives", [])],
        "attachments": attachments,
    }


def from_json(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(alternative) for alternative in data["alternatives"]],
    )
    for filename, content, mimetype, encoding in data["attachments"]:
        message.attach(filename, base64.b64decode(content) if encoding == "base64" else content, mimetype)
    return message


# The tasks whose failed attempts wait in the queue for the next one (email_task).
_retried_tasks: set = set()


def email_task(function):
    """A task that writes or sends e-mail; like ``deliver_email``, a failed attempt is tried again later."""
    wrapped = task()(function)
    _retried_tasks.add(wrapped.func)
    return wrapped


@email_task
def deliver_email(message: dict) -> None:
    """Send one queued message with ``EMAIL_BACKEND`` (which gives up after ``EMAIL_TIMEOUT`` seconds)."""
    try:
        from_json(message).send()
    except Exception as error:
        logger.error("Could not send “%s” to %s: %s", message["subject"], ", ".join(message["to"]), error)
        raise


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after ``attempts`` failed attempts: EMAIL_RETRY_DELAY, doubled each time, at most an hour."""
    return datetime.timedelta(seconds=min(settings.EMAIL_RETRY_DELAY * 2 ** (attempts - 1), 3600))


@receiver(task_finished)
def retry_failed_email(sender, task_result: TaskResult, **kwargs) -> None:
    """A failed attempt of an e-mail task waits in the queue for the next one, until the last attempt.

    The same row is made ready again, so the admin shows one line per e-mail: waiting (with the last
    error) while it is being retried, failed once it was given up.
    """
    if (
        task_result.status != TaskResultStatus.FAILED
        or task_result.task.func not in _retried_tasks
        or not isinstance(task_result.task.get_backend(), DatabaseBackend)
        or task_result.attempts >= settings.EMAIL_MAX_ATTEMPTS
    ):
        return
    DBTaskResult.objects.filter(pk=task_result.id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY,
        finished_at=None,
        run_after=timezone.now() + retry_delay(task_result.attempts),
    )
