"""Console commands: wgmail-worker, wgmail-runner, wgmail-demo."""

import argparse

from pyramid.paster import get_app, setup_logging


def load_app(description: str, argv=None):
    """Parse ``CONFIG_URI`` from the command line; return the app and args."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("config_uri", help="the .ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    return get_app(args.config_uri), args


def run_services(description: str, argv=None, **services) -> None:
    """Start the named background services and run until SIGINT or SIGTERM."""
    from ..serve import BackgroundServices, wait_for_signal

    app, _args = load_app(description, argv)
    running = BackgroundServices(app.registry["wgmail.delivery"], **services)
    running.start()
    try:
        wait_for_signal()
    finally:
        running.stop()
