"""Swedish dates and numbers: "tis 8 dec 2026 10:00", "26 mars 2027", "12 345,50".

Swedish writes weekdays and months in lower case, so the short month is ``b`` ("dec"), never ``M`` ("Dec").
The names are those of the English module; Django's Swedish module gives the rest (input formats, separators).
"""

DATE_FORMAT = "j F Y"  # 26 mars 2027
SHORT_DATE_FORMAT = "Y-m-d"
MEDIUM_DATE_FORMAT = "j b Y"  # 26 mar 2027
WEEKDAY_DATE_FORMAT = "D j b Y"  # fre 26 mar 2027
FULL_DATE_FORMAT = "l j F Y"  # fredag 26 mars 2027
DAY_FORMAT = "D j b"  # fre 26 mar
SHORT_DAY_FORMAT = "j b"  # 26 mar
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j b Y H:i"  # tis 8 dec 2026 10:00
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DAY_TIME_FORMAT = "D j b H:i"  # tis 8 dec 10:00
SHORT_DAY_TIME_FORMAT = "j b H:i"  # 8 dec 10:00
SECONDS_DATETIME_FORMAT = "j b Y H:i:s"  # 8 dec 2026 10:00:59
