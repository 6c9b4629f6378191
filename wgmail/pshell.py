"""What ``pshell development.ini`` offers: a session, the models, the manager."""

from . import models


def setup(env):
    request = env["request"]
    # A transaction begun here; commit with tm.commit(), undo with tm.abort().
    request.tm.begin()
    env["tm"] = request.tm
    env["dbsession"] = request.dbsession
    env["models"] = models
    env["delivery"] = request.registry["wgmail.delivery"]
