"""Messages: composing a scheduled mail, listing and cancelling one's own."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("messages", "/messages")
    config.add_route("cancel_message", r"/messages/{id:\d+}/cancel")
