"""wgmail: send an HTML email at the moment you choose."""

from pyramid.config import Configurator

from .settings import load_settings


def main(global_config, **settings):
    """Build the WSGI application; it starts no thread and no server.

    Background services (worker, dispatcher, queue runner, local SMTP
    server) are started by the serving commands, so that ``pshell`` and the
    tests get the application alone.
    """
    settings = load_settings(settings)
    with Configurator(settings=settings) as config:
        # Jinja2 pages; deform's widgets render inside them as HTML.
        config.include("pyramid_jinja2")
        # Engines, request.dbsession and one transaction per request.
        config.include(".models")
        # Sessions, CSRF, who is signed in and what they may do.
        config.include(".security")
        # Static files: ours and deform's (Bootstrap, its widgets' scripts).
        config.include(".static")
        # Broker, actors and spool; nothing here starts a thread.
        config.include(".delivery")
        # Register, sign in, sign out.
        config.include(".accounts")
        # Compose a scheduled mail, list one's messages.
        config.include(".messages")
        # The REST API under /api/.
        config.include(".api")
        config.scan()
    return config.make_wsgi_app()
