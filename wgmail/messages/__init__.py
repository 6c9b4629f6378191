"""Messages: composing a scheduled mail and listing one's own."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("messages", "/messages")
