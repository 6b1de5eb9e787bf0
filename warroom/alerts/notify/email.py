"""Email over SMTP (smtplib): plain-text body, STARTTLS and login optional.

SMTP reply codes say whether to retry: 4xx is transient by definition (RFC 5321 §4.2.1), 5xx permanent
(bad recipient, refused login). A refused connection or a timeout is retried.
"""

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from warroom.alerts.notification import Batch
from warroom.alerts.notify.message import render_batch
from warroom.alerts.notify.result import DeliveryResult
from warroom.alerts.notify.webhook import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str = ""
    password: str = ""
    cafile: str = ""  # a private CA to trust for STARTTLS; empty: the system's CAs
    lang: str = "zh"
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def payload(self, batch: Batch, *, now: datetime) -> EmailMessage:
        message = render_batch(batch, self.lang, self.base_url)
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = format_datetime(now)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        return mail

    def send(self, batch: Batch, *, now: datetime) -> DeliveryResult:
        mail = self.payload(batch, now=now)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.cafile or None))
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(mail, to_addrs=list(self.recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return DeliveryResult(
                False, max(codes), f"all recipients refused: {exc.recipients}", min(codes) < 500
            )
        except smtplib.SMTPResponseException as exc:
            detail = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            return DeliveryResult(
                False, exc.smtp_code, f"SMTP {exc.smtp_code}: {detail}", exc.smtp_code < 500
            )
        except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timeout, TLS failure
            retry = not isinstance(exc, ssl.SSLCertVerificationError)
            kind = "timed out" if isinstance(exc, socket.timeout) else "failed"
            return DeliveryResult(False, None, f"SMTP {self.host}:{self.port} {kind}: {exc}", retry)
        if refused:
            return DeliveryResult(True, 250, f"some recipients refused: {refused}")
        return DeliveryResult(True, 250)
