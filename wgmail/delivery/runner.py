"""wgmail's queue runner: delivers this host's spool over SMTP.

repoze.sendmail's own ``qp`` is not used: it sends the spool's bare LF line
endings and its ``X-Actually-*`` headers unchanged, and leaves a link behind
that delivers twice after an SMTP outage (DESIGN.md, library traps).

A spool file moves ``new/`` -> ``cur/`` when a runner claims it; the rename
is atomic, so of two runners on one spool only one wins. After the SMTP
server answers, the file goes back to ``new/`` for a later try (any answer
but a final one), or is replaced by a short note in ``outcomes/`` of the
final answer (accepted, or refused for good), which stays until the
message row has recorded it.
"""

import json
import logging
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from pathlib import Path

from ..logs import log_event
from ..models import FAILED, SENT, WAITING, Message, unit_of_work, utcnow
from . import Delivery, SMTPSettings
from .loop import Periodic
from .mail import row_id_from_header

log = logging.getLogger(__name__)

_ENVELOPE_HEADERS = (b"x-actually-from", b"x-actually-to")

# A claimed file in cur/ is named "<spool name>.claimed-by-<pid>".
_CLAIMED_BY = ".claimed-by-"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, under another user
    return True


class SpoolFileError(ValueError):
    """A spool file cannot be parsed into an envelope and a message."""


@dataclass
class SpooledMail:
    """One spool file, split into the SMTP envelope and the bytes to send."""

    sender: str
    recipients: list[str]
    data: bytes
    message_id: int | None

    @classmethod
    def parse(cls, raw: bytes) -> "SpooledMail":
        head, body = _split_head(raw)
        envelope: dict[bytes, str] = {}
        kept: list[bytes] = []
        for header in _unfold(head):
            name, _, value = header.partition(b":")
            name = name.strip().lower()
            if name in _ENVELOPE_HEADERS:
                text = value.decode("ascii", "replace").strip()
                envelope[name] = str(make_header(decode_header(text)))
            else:
                kept.append(header)

        sender = envelope.get(b"x-actually-from", "")
        recipients = [
            address.strip()
            for address in envelope.get(b"x-actually-to", "").split(",")
            if address.strip()
        ]
        if not sender or not recipients:
            raise SpoolFileError("no X-Actually-From / X-Actually-To envelope headers")

        message_id = None
        for header in kept:
            if header.lower().startswith(b"message-id:"):
                message_id = row_id_from_header(header.decode("ascii", "replace"))

        # Servers may refuse bare LF; every line ends in CRLF on the wire.
        text = b"\n".join(kept) + b"\n\n" + body
        data = re.sub(rb"\r?\n", b"\r\n", text)
        return cls(
            sender=sender, recipients=recipients, data=data, message_id=message_id
        )


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    """The header block and the body, split at the first empty line."""
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return raw, b""
    return raw[: match.start()], raw[match.end() :]


def _unfold(head: bytes) -> list[bytes]:
    """Header lines with their folded continuation lines kept together."""
    headers: list[bytes] = []
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1] += b"\n" + line
        elif line:
            headers.append(line)
    return headers


@dataclass
class Outcome:
    """What the SMTP server said about one mail."""

    kind: str  # "sent", "failed" (refused for good) or "retry"
    reply: str


def _reply_text(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


def _classify(code: int, message: bytes | str) -> Outcome:
    kind = "failed" if 500 <= code < 600 else "retry"
    return Outcome(kind, _reply_text(code, message))


def connect(settings: SMTPSettings) -> smtplib.SMTP:
    timeout = settings.timeout_seconds
    if settings.tls == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    connection.ehlo_or_helo_if_needed()
    if settings.tls == "starttls":
        connection.starttls(context=ssl.create_default_context())
        connection.ehlo()
    if settings.user:
        connection.login(settings.user, settings.password)
    return connection


def send(connection: smtplib.SMTP, mail: SpooledMail) -> Outcome:
    """One SMTP transaction; the server's own reply comes back as the outcome."""
    try:
        code, reply = connection.mail(mail.sender)
        if code != 250:
            connection.rset()
            return _classify(code, reply)
        for recipient in mail.recipients:
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                connection.rset()
                return _classify(code, reply)
        code, reply = connection.data(mail.data)
    except smtplib.SMTPResponseException as error:
        return _classify(error.smtp_code, error.smtp_error)
    if code != 250:
        return _classify(code, reply)
    return Outcome("sent", _reply_text(code, reply))


class QueueRunner(Periodic):
    """Claims spool files and delivers them; one per host, over its spool."""

    name = "runner"

    def __init__(self, delivery: Delivery):
        super().__init__(delivery.runner_poll_seconds, delivery.hostname)
        self.delivery = delivery
        self.spool = delivery.spool_dir
        self._not_before: dict[str, float] = {}

    # -- one pass --------------------------------------------------------

    def run_once(self) -> int:
        """Deliver every file ready in ``new/``; returns how many were handled."""
        self.record_pending_outcomes()
        self.release_expired_claims()
        connection = None
        handled = 0
        try:
            for name in self._ready_names():
                if self.stopping:
                    break
                claimed = self._claim(name)
                if claimed is None:
                    continue
                connection = self._deliver_file(claimed, connection)
                handled += 1
        finally:
            if connection is not None:
                _quit(connection)
        return handled

    def _ready_names(self) -> list[str]:
        now = time.monotonic()
        names = sorted(os.listdir(self.spool / "new"))
        return [name for name in names if self._not_before.get(name, 0) <= now]

    def _claim(self, name: str) -> Path | None:
        source = self.spool / "new" / name
        # The claim names its process, so that a runner on this host can
        # tell at once when the claimant has died, without waiting out the
        # lease.
        claimed = self.spool / "cur" / f"{name}{_CLAIMED_BY}{os.getpid()}"
        try:
            os.rename(source, claimed)
        except FileNotFoundError:
            return None  # another runner claimed it first
        # The claim's age is counted from now, not from when it was written.
        os.utime(claimed)
        return claimed

    def release_expired_claims(self) -> None:
        """Put back claims whose runner died: at once if its process is gone
        from this host, otherwise once the claim is older than the lease."""
        deadline = time.time() - self.delivery.claim_lease_seconds
        for path in (self.spool / "cur").iterdir():
            name, _, pid = path.name.partition(_CLAIMED_BY)
            try:
                if pid.isdigit() and not _process_alive(int(pid)):
                    reason = "runner_gone"
                elif path.stat().st_mtime < deadline:
                    reason = "lease_expired"
                else:
                    continue
                os.rename(path, self.spool / "new" / name)
            except FileNotFoundError:
                continue  # released or finished by another runner meanwhile
            log_event(
                log,
                "spool.claim_released",
                file=name,
                reason=reason,
                level=logging.WARNING,
            )

    def _deliver_file(self, path: Path, connection):
        name = path.name.partition(_CLAIMED_BY)[0]
        try:
            mail = SpooledMail.parse(path.read_bytes())
        except SpoolFileError as error:
            self._set_aside(path, name, str(error))
            return connection

        try:
            if connection is None:
                connection = connect(self.delivery.smtp)
            outcome = send(connection, mail)
        except (OSError, smtplib.SMTPException) as error:
            # Not an answer about this mail: the server is unreachable or the
            # session broke. Try again later, on a fresh connection.
            outcome = Outcome("retry", f"{type(error).__name__}: {error}")
            if connection is not None:
                _quit(connection)
            connection = None

        if outcome.kind == "retry":
            self._not_before[name] = (
                time.monotonic() + self.delivery.retry_after_seconds
            )
            os.rename(path, self.spool / "new" / name)
            self._record(mail.message_id, outcome, name, utcnow())
            return connection

        # The answer is final. It is written down beside the spool before
        # the spool file goes, and only then taken to the database: should
        # the database be out of reach now, the next pass records it from
        # this note, and the mail is never sent a second time.
        self._not_before.pop(name, None)
        note = self._write_note(mail.message_id, outcome, name)
        path.unlink()
        self._apply_note(note)
        return connection

    def _write_note(
        self, message_id: int | None, outcome: Outcome, file_name: str
    ) -> Path:
        notes = self.spool / "outcomes"
        notes.mkdir(exist_ok=True)
        note = notes / f"{file_name}.json"
        partial = notes / f".{file_name}.json.part"
        partial.write_text(
            json.dumps(
                {
                    "message_id": message_id,
                    "kind": outcome.kind,
                    "reply": outcome.reply,
                    "at": utcnow().isoformat(),
                }
            )
        )
        os.rename(partial, note)
        return note

    def _apply_note(self, note: Path) -> None:
        data = json.loads(note.read_text())
        outcome = Outcome(data["kind"], data["reply"])
        self._record(
            data["message_id"], outcome, note.stem, datetime.fromisoformat(data["at"])
        )
        note.unlink()

    def record_pending_outcomes(self) -> None:
        """Take to the database the SMTP answers an earlier pass could not."""
        notes = self.spool / "outcomes"
        if notes.is_dir():
            for note in sorted(notes.glob("*.json")):
                self._apply_note(note)

    def _set_aside(self, path: Path, name: str, reason: str) -> None:
        broken = self.spool / "broken"
        broken.mkdir(exist_ok=True)
        os.rename(path, broken / name)
        log_event(
            log, "spool.file_broken", file=name, reason=reason, level=logging.ERROR
        )

    def _record(
        self, message_id: int | None, outcome: Outcome, file_name: str, at: datetime
    ) -> None:
        """Write the server's answer to the message row and its event log."""
        fields = dict(message_id=message_id, file=file_name, reply=outcome.reply)
        if outcome.kind == "retry":
            log_event(log, "message.smtp_deferred", level=logging.WARNING, **fields)
        elif outcome.kind == "failed":
            log_event(log, "message.smtp_refused", level=logging.WARNING, **fields)
        else:
            log_event(log, "message.sent", **fields)

        if message_id is None:
            return
        with unit_of_work(self.delivery.session_factory) as (session, _manager):
            message = session.get(Message, message_id, with_for_update=True)
            if message is None or message.status != WAITING:
                return
            if outcome.kind == "sent":
                message.status = SENT
                message.sent_at = at
                message.smtp_reply = outcome.reply
                message.log("sent", outcome.reply)
            elif outcome.kind == "failed":
                message.status = FAILED
                message.smtp_reply = outcome.reply
                message.failure_reason = (
                    f"The recipient's mail server refused it: {outcome.reply}"
                )
                message.log("failed", outcome.reply)
            else:
                message.log("deferred", outcome.reply)


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
