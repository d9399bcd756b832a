"""The confirmation step before an action that cannot be undone: its URL answers GET with this page, POST acts."""

from django.shortcuts import render


def confirmation_page(request, *, title: str, consequence: str, action_label: str, back_url: str, form=None):
    """A page saying what the action will do, with the action's form (its fields, if any) and a way back.

    A posted form comes back with its errors (400), and nothing has changed.
    """
    context = {
        "title": title,
        "consequence": consequence,
        "action_label": action_label,
        "back_url": back_url,
        "form": form,
    }
    return render(request, "confirm.html", context, status=400 if form is not None and form.is_bound else 200)
