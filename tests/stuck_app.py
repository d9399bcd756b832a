"""A WSGI application with a request that never ends, for the gunicorn watchdog test."""

import os
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/stuck":
        time.sleep(3600)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
