from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from atmp_portal import exports
from atmp_portal.rules import require

from . import permissions, services


@require_GET
def object_history(request, model, pk):
    """The audit trail of one object for staff; ``?format=csv`` downloads it."""
    if model not in services.TRACKED_MODELS:
        raise Http404
    require(permissions.can_view_history(request.user, model))
    obj = get_object_or_404(services.TRACKED_MODELS[model], pk=pk)
    entries = services.history_of(obj)
    if request.GET.get("format") == "csv":
        return exports.csv_download(request, services.history_table(entries), f"history-{model}-{pk}")
    return render(request, "audit/history.html", {"object": obj, "model": model, "entries": entries})
