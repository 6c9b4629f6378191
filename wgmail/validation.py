"""Field checks that every form shares: which characters text may hold.

Control characters never belong in what people type. A line break in a
subject becomes a header of its own when the mail is written, and
PostgreSQL refuses a NUL in any text column, so both are stopped here, with
a message next to the field, before anything reaches the database.
"""

import unicodedata
from collections.abc import Callable

import colander

# Characters that end a line for ``str.splitlines`` (and so for the email
# package when it folds headers), whatever their Unicode category.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

# Controls (Cc) and the line and paragraph separators (Zl, Zp).
_SINGLE_LINE = frozenset({"Cc", "Zl", "Zp"})
# The same, plus invisible format characters (Cf) such as a zero-width
# space or a bidirectional override: nothing a name, an address, a date or
# a zone has any use for, and a fine way to make two values look alike.
_PLAIN = _SINGLE_LINE | {"Cf"}

Validator = Callable[[colander.SchemaNode, object], None]


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} ({name.lower()})" if name else code


# Refused in every field, free text included: the embeddings, overrides and
# isolates that reorder what follows them (an attachment-like subject
# "invoice\u202efdp.exe" reads "invoiceexe.pdf"), the byte-order mark, and
# code points that are no characters at all (unassigned, surrogates).
_DECEPTIVE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_NOT_CHARACTERS = frozenset({"Cn", "Cs"})


def _refusing(categories: frozenset[str], *, keep: str = "") -> Validator:
    """A validator refusing characters of ``categories``, except ``keep``."""
    one_line = "\n" not in keep

    def validator(node, value):
        if "\ufffd" in value:
            # What the web layer puts where the browser sent bytes that are
            # not UTF-8: storing it would keep a mangled text as if typed.
            raise colander.Invalid(
                node,
                "This text holds characters that could not be read (shown as \ufffd): "
                "type it again.",
            )
        for char in value:
            category = unicodedata.category(char)
            if char in keep or (
                category not in categories
                and category not in _NOT_CHARACTERS
                and char not in _DECEPTIVE
            ):
                continue
            if one_line and char in _LINE_BREAKS:
                raise colander.Invalid(
                    node, "Write this on one line: it cannot hold a line break."
                )
            raise colander.Invalid(
                node,
                f"Remove the invisible character {_describe(char)}: "
                "it cannot be used here.",
            )

    return validator


# Free text on one line (a subject, a password). Format characters stay,
# but for the deceptive ones above: the joiner inside a family emoji, the
# marks that order Hebrew and Latin.
single_line = _refusing(_SINGLE_LINE)

# Names, addresses, dates and zones: printable characters and nothing else.
plain_single_line = _refusing(_PLAIN)

# A message body keeps its tabs and line breaks; no other control character.
multi_line = _refusing(frozenset({"Cc"}), keep="\t\n\r")


def in_order(*validators: Validator) -> Validator:
    """Run ``validators`` one after the other and report only the first error.

    ``colander.All`` runs them all and joins their messages, which tells a
    user "too long" about a value whose real fault is a control character.
    """

    def validator(node, value):
        for check in validators:
            check(node, value)

    return validator
