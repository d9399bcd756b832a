from django.http import JsonResponse
from django.views.decorators.http import require_GET

from . import services


@require_GET
def my_data(request):
    """The signed-in user's own data as a JSON download."""
    response = JsonResponse(services.personal_data(request.user), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
