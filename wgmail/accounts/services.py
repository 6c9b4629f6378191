"""Account rules: registering, checking a password, ending sessions."""

import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import User

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 40
# ``\Z`` rather than ``$``, which also matches before a final newline.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name takes
# as long to refuse as a wrong password and does not reveal who exists.
_DUMMY_HASH = _hasher.hash("wgmail-no-such-user")


class UsernameTaken(Exception):
    """Another account has this name, in any letter case."""


def username_key(username: str) -> str:
    return username.casefold()


def is_possible_username(username: str) -> bool:
    """Whether registration could ever have accepted ``username``."""
    return (
        USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH
        and re.match(USERNAME_PATTERN, username) is not None
    )


def normalized_password(password: str) -> str:
    """The form of ``password`` that is hashed and verified.

    The same word can arrive as different code points: an "é" typed on one
    keyboard is one character, on another an "e" and a combining accent.
    NFKC makes them one password. Spaces are kept, at either end too.
    """
    return unicodedata.normalize("NFKC", password)


def find_user(dbsession: Session, username: str) -> User | None:
    return dbsession.scalar(
        select(User).where(User.username_key == username_key(username))
    )


def register(dbsession: Session, username: str, password: str) -> User:
    """Create an account; the first one on an instance is its administrator.

    Raises ``UsernameTaken`` when the name exists in any letter case.
    """
    if find_user(dbsession, username) is not None:
        raise UsernameTaken(username)

    is_first = dbsession.scalar(select(func.count(User.id))) == 0
    user = User(
        username=username,
        username_key=username_key(username),
        password_hash=_hasher.hash(normalized_password(password)),
        is_admin=is_first,
    )
    # Two people may race for one name; the unique key decides, and the
    # savepoint keeps the surrounding transaction usable for the answer.
    try:
        with dbsession.begin_nested():
            dbsession.add(user)
    except IntegrityError:
        raise UsernameTaken(username) from None
    return user


def authenticate(dbsession: Session, username: str, password: str) -> User | None:
    """Return the user when the password matches, otherwise None."""
    password = normalized_password(password)

    # A name no account can have is not looked up at all: it may hold a NUL,
    # which PostgreSQL refuses in a query. It still costs one verification.
    user = None
    if is_possible_username(username):
        user = find_user(dbsession, username)
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None

    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def end_sessions(user: User) -> None:
    """Make every session ``user`` has, on any device, stop working.

    Sessions are signed cookies that the browser keeps; the server cannot
    delete them, so each one carries the generation it was made in, and
    moving the generation on makes all of them stale at once.
    """
    user.session_generation += 1


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
