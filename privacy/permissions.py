"""Who may do what with personal data."""

from atmp_portal import roles


def can_anonymise(user, person) -> bool:
    """Administrators anonymise people who have left, never themselves (they would lock themselves out)."""
    return roles.is_administrator(user) and user.pk != person.pk
