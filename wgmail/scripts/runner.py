"""``wgmail-runner CONFIG``: delivers this machine's mail spool over SMTP."""

from . import run_services


def main(argv=None):
    run_services("Deliver this machine's mail spool over SMTP.", argv, runner=True)
