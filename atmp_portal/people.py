"""How the portal names a person: by full name, by username only where the account has no name."""


def full_name(user) -> str:
    """ "Anna Berg" for the account ``anna``; the username where no name is given; empty for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def full_name_of(first_name: str, last_name: str, username: str) -> str:
    """``full_name`` of an account read as values rather than as a user (as ``User.get_full_name`` joins them)."""
    return f"{first_name} {last_name}".strip() or username
