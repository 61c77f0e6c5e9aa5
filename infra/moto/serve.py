"""moto's server, with one request handled at a time.

DynamoDB runs each transaction in isolation from the others; moto's stock server handles
requests on many threads and does not, so two concurrent TransactWriteItems calls can both
pass their conditions and both write (the suite's "20 customers, one last number" found
it: two winners). Serialising requests gives moto the isolation DynamoDB guarantees; moto
is single-core bound by Python's lock anyway, so it costs little.
"""
import os
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialised(environ, start_response):
    with one_at_a_time:
        # The body is produced inside the lock, so a response is complete before the next
        # request starts.
        return list(app(environ, start_response))


run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)
