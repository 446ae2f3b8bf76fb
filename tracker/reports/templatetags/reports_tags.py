from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as minutes below an hour, hours above; a dash when unknown."""
    if seconds is None:
        return "–"
    seconds = float(seconds)
    if abs(seconds) < 3600:
        return _("%(n)s min") % {"n": number_format(seconds / 60, 1)}
    return _("%(n)s h") % {"n": number_format(seconds / 3600, 1)}
