"""The embedded SMTP server: keeps every mail it receives as an .eml file.

It stands in for the recipient's mail server on a single machine with no
setup, so that what wgmail sends can be opened and read in any mail client.
"""

import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from ..logs import log_event

log = logging.getLogger(__name__)


class MailFolderHandler:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        # The envelope goes on top as a real mail server's delivery agent
        # would put it; the rest is exactly the bytes received.
        trace = (
            f"Return-Path: <{envelope.mail_from}>\r\n"
            f"Delivered-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        partial = self.folder / f".{name}.part"
        partial.write_bytes(trace + content)
        os.rename(partial, self.folder / name)
        log_event(
            log,
            "local_smtp.received",
            file=name,
            to=",".join(envelope.rcpt_tos),
            bytes=len(content),
        )
        return "250 2.0.0 Stored in the local mail folder"


class LocalSMTPServer:
    """aiosmtpd on its own thread, storing mail under ``folder``."""

    def __init__(self, folder: str | Path, host: str, port: int):
        self.folder = Path(folder)
        # server_hostname is given so aiosmtpd does not call getfqdn(), which
        # blocks its event loop on a machine without DNS.
        self.controller = Controller(
            MailFolderHandler(self.folder),
            hostname=host,
            port=port,
            server_hostname="wgmail.localhost",
        )

    def start(self) -> None:
        self.controller.start()
        log_event(
            log,
            "local_smtp.started",
            host=self.controller.hostname,
            port=self.controller.port,
            folder=self.folder,
        )

    def stop(self) -> None:
        self.controller.stop()
        log_event(log, "local_smtp.stopped")
