"""English dates and numbers: "Tue 8 Dec 2026 10:00", "26 March 2027", "12,345.50".

Templates name a format (``|date:"DAY_TIME_FORMAT"``) rather than spell one; the Swedish module has the same names.
"""

DATE_FORMAT = "j F Y"  # 26 March 2027
SHORT_DATE_FORMAT = "Y-m-d"
MEDIUM_DATE_FORMAT = "j M Y"  # 26 Mar 2027
WEEKDAY_DATE_FORMAT = "D j M Y"  # Fri 26 Mar 2027
FULL_DATE_FORMAT = "l j F Y"  # Friday 26 March 2027
DAY_FORMAT = "D j M"  # Fri 26 Mar
SHORT_DAY_FORMAT = "j M"  # 26 Mar
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j M Y H:i"  # Fri 26 Mar 2027 10:00
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DAY_TIME_FORMAT = "D j M H:i"  # Fri 26 Mar 10:00
SHORT_DAY_TIME_FORMAT = "j M H:i"  # 26 Mar 10:00
SECONDS_DATETIME_FORMAT = "j M Y H:i:s"  # 26 Mar 2027 10:00:59
FIRST_DAY_OF_WEEK = 1  # Monday, as at a Swedish university
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
