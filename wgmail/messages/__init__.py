"""Messages: composing a scheduled mail, listing and cancelling one's own."""


def includeme(config):
    config.add_route("home", "/")
    config.add_route("messages", "/messages")
    # Nine digits at most: a longer id cannot exist (the column is a 32-bit
    # integer on PostgreSQL) and would overflow the database driver.
    config.add_route("cancel_message", r"/messages/{id:[0-9]{1,9}}/cancel")
