"""No personal data in logs (e-mails and phone numbers masked, IPv4 truncated) and no forged lines."""

import logging
import re
import time

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# International (+41 79 123 45 67, +33612345678, 0041 79...) and Swiss/French national (079 123 45 67,
# 06 12 34 56 78) formats, with spaces, dots or dashes between groups.
PHONE_RE = re.compile(
    r"(?<![\w+.,:])(?:\+|00)[1-9](?:[ .\-/]?\d){6,14}(?!\d)"
    r"|(?<![\w.:\-])0[1-9]\d?(?:[ .\-/]\d{2,3}){3,4}(?![\w.:\-])"
    r"|(?<![\w.:\-])0[1-9]\d{8}(?![\w.:\-])"
)
# IPv4 addresses keep their network part only (203.0.113.x), as for an anonymised web log.
IPV4_RE = re.compile(
    r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)\.(?:25[0-5]|2[0-4]\d|1?\d?\d)\.(?:25[0-5]|2[0-4]\d|1?\d?\d))\.(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"
)
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"


def mask_personal_data(text: str) -> str:
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    text = IPV4_RE.sub(r"\1.x", text)
    return PHONE_RE.sub(PHONE_MASK, text)


class PersonalDataFilter(logging.Filter):
    """Rewrites the record's message (and traceback text) with e-mails and phone numbers masked."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        # Line breaks in a message are escaped, so that user input cannot forge log lines.
        record.msg = mask_personal_data(message).replace("\r", "\\r").replace("\n", "\\n")
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


class UTCFormatter(logging.Formatter):
    """`2026-11-22T02:55:00.123Z LEVEL logger message`: UTC, so lines from every host line up."""

    converter = time.gmtime

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, **kwargs):
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s %(message)s", datefmt, **kwargs)

    def formatTime(self, record, datefmt=None):
        return time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created)) + f".{int(record.msecs):03d}Z"
