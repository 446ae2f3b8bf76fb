"""What the operator sells, where, and to whom.

Service and Region describe the network; Business, Contact and Subscription
describe the customers. A subscription (service x region x site, monthly fee)
is what an outage affects and what compensation is computed from.
"""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class Language(models.TextChoices):
    FR = "fr", _("French")
    DE = "de", _("German")
    IT = "it", _("Italian")
    EN = "en", _("English")


class Currency(models.TextChoices):
    CHF = "CHF", "CHF"
    EUR = "EUR", "EUR"


class Channel(models.TextChoices):
    """Ways a message reaches a contact; a service may carry one of them."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")
    VOICE = "voice", _("Voice")


class Service(models.Model):
    slug = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Names in other languages, e.g. {"fr": "Téléphonie d'entreprise"}.
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    # Fixed e-mail carries e-mail to the mailboxes it hosts: when it is down,
    # its customers must be told on another channel.
    carries_channel = models.CharField(
        _("carries channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("The channel this service provides to its customers, if any."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        return self.name_translations.get(language or get_language() or "en") or self.name


class Region(models.Model):
    class Kind(models.TextChoices):
        CANTON = "canton", _("Canton")
        DEPARTEMENT = "departement", _("Département")

    code = models.CharField(_("code"), max_length=10, unique=True, help_text=_("For example CH-VD or FR-75."))
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Business(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        BUSINESS = "business", _("Business")
        PREMIUM = "premium", _("Premium")

    customer_number = models.CharField(_("customer number"), max_length=20, unique=True)
    company_name = models.CharField(_("company name"), max_length=200, db_index=True)
    registration_id = models.CharField(
        _("registration id"), max_length=40, blank=True, help_text=_("UID, SIREN or equivalent.")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["company_name"]
        verbose_name = _("business")
        verbose_name_plural = _("businesses")

    def __str__(self) -> str:
        return f"{self.company_name} ({self.customer_number})"


class Contact(models.Model):
    # Without a business: a visitor who subscribed to the status page by e-mail.
    business = models.ForeignKey(
        Business,
        on_delete=models.CASCADE,
        related_name="contacts",
        null=True,
        blank=True,
        verbose_name=_("business"),
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, db_index=True)
    phone = PhoneNumberField(_("mobile phone"), blank=True, help_text=_("International format, e.g. +41791234567."))
    # Blank means: use the business's language.
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
        verbose_name=_("login"),
    )
    is_business_admin = models.BooleanField(
        _("business administrator"), default=False, help_text=_("Sees and manages everything of the business.")
    )
    # Notification preferences; the notification engine reads them at send time.
    wants_email = models.BooleanField(_("notify by e-mail"), default=True)
    wants_sms = models.BooleanField(_("notify by SMS"), default=False)
    muted_kinds = models.JSONField(_("muted message kinds"), default=list, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["business_id", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def effective_language(self) -> str:
        if self.language:
            return self.language
        return self.business.language if self.business_id else "en"


class Subscription(models.Model):
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("business")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("service")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("region"))
    site_label = models.CharField(_("site"), max_length=100)
    site_address = models.CharField(_("site address"), max_length=255, blank=True)
    monthly_fee = models.DecimalField(
        _("monthly fee"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CHF)
    started_on = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        ordering = ["business_id", "site_label"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [models.Index(fields=["service", "region"], name="subscription_service_region")]

    def __str__(self) -> str:
        return f"{self.business.company_name}: {self.service.name} ({self.site_label})"


def _line_token() -> str:
    return secrets.token_urlsafe(24)


class VoiceLine(models.Model):
    """A phone number of a subscription; the phone platform asks what callers should hear."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="voice_lines", verbose_name=_("subscription")
    )
    number = PhoneNumberField(_("number"), unique=True)
    # Unguessable: the phone platform fetches /voice/<token>/.
    token = models.CharField(_("token"), max_length=64, unique=True, default=_line_token, editable=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("voice line")
        verbose_name_plural = _("voice lines")

    def __str__(self) -> str:
        return str(self.number)
