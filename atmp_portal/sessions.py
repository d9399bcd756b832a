"""The portal's sessions: Django's, in the database (server-side, so signing out or deleting a session
ends it at once), read by one written-out query."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self):
        # Every request with a session cookie reads its session: through the ORM, building the query
        # and the model instance cost more than PostgreSQL takes to answer.
        database = router.db_for_read(self.model)
        with connections[database].cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {self.model._meta.db_table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
