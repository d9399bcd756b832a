from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

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
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="history-{model}-{pk}.csv"'
        services.write_history_csv(entries, response)
        return response
    return render(request, "audit/history.html", {"object": obj, "model": model, "entries": entries})
