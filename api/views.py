from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import TokenForm
from .models import ApiToken


def token_list(request):
    """The user's API tokens; a new token's secret is shown in this response only, never again."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.create_token(request.user, **form.cleaned_data)
        except services.TokenError as error:
            form.add_error(None, error.message)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "created": created,
        "secret": secret,
    }
    return render(request, "api/token_list.html", context, status=400 if form.errors else 200)


@require_POST
def token_revoke(request, pk):
    # Another user's token is not found: its existence is not theirs to learn.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.revoke_token(token, by=request.user)
    except services.TokenError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The token “%(name)s” was revoked; it no longer works.") % {"name": token.name})
    return redirect("tokens:token_list")
