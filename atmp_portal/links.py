"""Links written for many rows from one ``reverse``: through the URL resolver, each link of a long list costs more
than the rest of its row."""

from django.urls import reverse


def link_pattern(name: str, sample="0") -> str:
    """The path of the URL ``name`` with ``{}`` where its one argument goes: ``link_pattern(name).format(key)``.

    ``sample`` is a value its converter accepts that appears nowhere else in the path. The key put in is not
    quoted, so this is for keys that never need it: ids, slugs, reference codes and UUIDs.
    """
    return reverse(name, args=[sample]).replace(f"/{sample}/", "/{}/")
