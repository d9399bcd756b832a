from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions, services

User = get_user_model()


@admin.action(description=gettext_lazy("Anonymise the selected people (they have left)"))
def anonymise(modeladmin, request, queryset):
    for person in queryset:
        if not permissions.can_anonymise(request.user, person):
            modeladmin.message_user(request, _("%(user)s: not allowed.") % {"user": person}, messages.ERROR)
            continue
        services.anonymise_user(person)
        modeladmin.message_user(request, _("Anonymised as %(name)s.") % {"name": person.username}, messages.SUCCESS)


class PortalUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, anonymise]


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
