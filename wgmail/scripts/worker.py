"""``wgmail-worker CONFIG``: the Dramatiq worker and the dispatcher.

Run one or more per worker machine, next to one ``wgmail-runner`` that
delivers the spool this machine writes.
"""

from . import run_services


def main(argv=None):
    run_services(
        "Run the delivery worker and the dispatcher.",
        argv,
        worker=True,
        dispatcher=True,
    )
