from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class QueuedTaskAdmin(DBTaskResultAdmin):
    """The task queue: e-mails waiting, sent, or failed after every attempt (filter by status)."""

    actions = ["send_again"]

    @admin.action(description=_("Try failed tasks again"), permissions=["view"])
    def send_again(self, request, queryset):
        count = queryset.filter(status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=timezone.now(), finished_at=None, worker_ids=[]
        )
        self.message_user(
            request,
            ngettext("%(count)s task is queued again.", "%(count)s tasks are queued again.", count) % {"count": count},
            messages.SUCCESS,
        )
