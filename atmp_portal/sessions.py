"""The portal's sessions: Django's, in the database (server-side, so signing out or deleting a session
ends it at once), read by one written-out, prepared query."""

from django.contrib.sessions.backends import db
from django.utils import timezone

from atmp_portal import sql


class SessionStore(db.SessionStore):
    def load(self):
        # Every request with a session cookie reads its session: through the ORM, building the query
        # and the model instance cost more than PostgreSQL takes to answer.
        found = sql.rows(
            self.model,
            f"SELECT session_data FROM {self.model._meta.db_table} WHERE session_key = %s AND expire_date > %s",
            [self.session_key, timezone.now()],
            prepared="session_data",
        )
        if not found:
            self._session_key = None
            return {}
        return self.decode(found[0][0])
