"""Production serving: logs a collector can read."""

import json
import logging

from atmp_portal.log_format import JsonLinesFormatter


def test_a_log_record_becomes_one_json_line_with_its_extra_fields():
    record = logging.LogRecord("facilities", logging.WARNING, __file__, 1, "Booking %s refused", ("42",), None)
    record.booking_id = 42

    line = JsonLinesFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "facilities"
    assert entry["message"] == "Booking 42 refused"
    assert entry["booking_id"] == 42
