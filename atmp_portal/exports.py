"""What every spreadsheet export of the portal shares."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A text cell that spreadsheets will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_PREFIXES else text
