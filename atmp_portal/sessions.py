"""The portal's sessions: Django's, in the database (server-side, so signing out or deleting a session
ends it at once), read by one written-out query."""

from django.contrib.sessions.backends import db
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        # Every request with a session cookie makes this lookup, and the ORM takes longer to compile it
        # than PostgreSQL to answer it.
        query = f"SELECT * FROM {self.model._meta.db_table} WHERE session_key = %s AND expire_date > %s"
        session = next(iter(self.model.objects.raw(query, [self.session_key, timezone.now()])), None)
        if session is None:
            self._session_key = None
        return session
