"""The REST API: Cornice services under /api/, one JSON error envelope."""

API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    """Whether ``request`` is addressed to the API.

    Read from the raw ``PATH_INFO``, which WSGI hands over undecoded, so that
    even an address that is not valid UTF-8 gets its answer in the API's
    envelope rather than a server error.
    """
    return request.environ.get("PATH_INFO", "").startswith(API_PREFIX)


def includeme(config):
    config.include("cornice")
