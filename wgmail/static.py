"""Static assets: ours, and deform's (Bootstrap 5, jQuery, widget scripts)."""


def includeme(config):
    config.add_static_view("static", "wgmail:static/", cache_max_age=3600)
    config.add_static_view("deform", "deform:static/", cache_max_age=3600)
