"""The REST API: Cornice services under /api/, one JSON error envelope."""


def includeme(config):
    config.include("cornice")
