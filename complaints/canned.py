"""Canned public answers. Stored by key on the event, shown and sent in each reader's language."""

from django.utils.translation import gettext_lazy as _

CANNED_ANSWERS = {
    "investigating": _("Thank you for your report. Our technicians are investigating the problem."),
    "known_incident": _(
        "This problem is part of a known outage. Our teams are working on it; follow the status page for updates."
    ),
    "need_details": _("To help you, we need more details: please answer here with the exact times and what you see."),
    "fixed": _("The problem has been fixed. Please tell us here if it happens again."),
    "no_fault": _("Our checks found no fault on our network for your service. Please check your equipment."),
    "compensation": _("Your loss has been recorded and will be considered for compensation."),
}


def canned_choices():
    return [("", "—"), *((key, text) for key, text in CANNED_ANSWERS.items())]


def canned_text(key: str) -> str:
    text = CANNED_ANSWERS.get(key)
    return str(text) if text is not None else ""
