"""The split of a request's time into SQL, template rendering and the rest, for ``bench/page_profile.py``
and ``bench/probe.py`` (import it after ``django.setup()``)."""

import contextlib
import time
from dataclasses import dataclass, field

from django.db import connection
from django.template import base as template_base


@dataclass
class Split:
    """One request's milliseconds: all of it, SQL, template rendering without its SQL, and the rest."""

    total: float
    sql: float
    template: float

    @property
    def python(self) -> float:
        return max(0.0, self.total - self.sql - self.template)


@dataclass
class SplitTimer:
    """Times requests, the SQL they run (connection.execute_wrapper) and their template rendering (the
    outermost ``Template.render``, less the SQL run inside it by lazy querysets)."""

    splits: list[Split] = field(default_factory=list)
    _sql: float = 0.0
    _template: float = 0.0
    _sql_in_template: float = 0.0
    _depth: int = 0

    def _timed_sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self._sql += elapsed
            if self._depth:
                self._sql_in_template += elapsed

    @contextlib.contextmanager
    def installed(self):
        original = template_base.Template.render
        timer = self

        def timed_render(template, context):
            timer._depth += 1
            started = time.perf_counter()
            try:
                return original(template, context)
            finally:
                timer._depth -= 1
                if not timer._depth:
                    timer._template += time.perf_counter() - started

        template_base.Template.render = timed_render
        try:
            with connection.execute_wrapper(self._timed_sql):
                yield self
        finally:
            template_base.Template.render = original

    def time(self, request):
        """Call ``request()`` and record its split; returns what it returns."""
        self._sql = self._template = self._sql_in_template = 0.0
        started = time.perf_counter()
        result = request()
        total = time.perf_counter() - started
        template = self._template - self._sql_in_template
        self.splits.append(Split(1000 * total, 1000 * self._sql, 1000 * template))
        return result

    def median(self) -> Split:
        """The request of median total time, with its own split (the parts of one real request)."""
        ordered = sorted(self.splits, key=lambda split: split.total)
        return ordered[len(ordered) // 2]
