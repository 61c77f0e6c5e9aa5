"""localstripe bound to one loopback address, its state in memory only.

The stock command listens on every interface and pickles its state to the system's temp
folder after each write (shared between runs and users); the tests want neither.
"""
import logging
import sys

from aiohttp import web
from localstripe import resources, server

# Keep state in memory: no load at start, no dump after writes.
resources.Store.try_load_from_disk = lambda self: None
resources.Store.dump_to_disk = lambda self: None

host, port = sys.argv[1], int(sys.argv[2])
logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
web.run_app(server.app, host=host, port=port, access_log=None)
