"""Petitions (collective compensation claims), their signatures and the compensation decisions.

The petition row is never touched by signing: confirmed signatures are counted
in batches into PetitionTally by the counter task (see counting.py).
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Currency, Language
from tracker.incidents.models import Incident

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


def _salt() -> str:
    return secrets.token_hex(16)


class Petition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending moderation")
        OPEN = "open", _("Open")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")
        ANSWERED = "answered", _("Answered")

    # Allowed moderation transitions; services.petition_transition enforces them.
    TRANSITIONS = {
        Status.DRAFT: {Status.PENDING, Status.OPEN},
        Status.PENDING: {Status.OPEN, Status.REJECTED},
        Status.OPEN: {Status.CLOSED, Status.ANSWERED},
        Status.CLOSED: {Status.ANSWERED},
        Status.REJECTED: set(),
        Status.ANSWERED: set(),
    }
    # Statuses the public sees.
    PUBLIC = (Status.OPEN, Status.CLOSED, Status.ANSWERED)
    # Texts staff may translate, with their longest length: translations = {"de": {"title": ...}}.
    TRANSLATED_FIELDS = {"title": 200, "text": 10000, "demand": 2000, "answer": 10000}

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=10000)
    demand = models.TextField(_("demand"), max_length=2000, blank=True)
    language = models.CharField(
        _("written in"),
        max_length=2,
        choices=Language.choices,
        default=Language.EN,
        help_text=_("The language of the title, text, demand and answer as written; translations are optional."),
    )
    # Staff translations of TRANSLATED_FIELDS, e.g. {"de": {"title": "...", "text": "..."}}.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    incidents = models.ManyToManyField(Incident, related_name="petitions", verbose_name=_("incidents"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    proposed_by = models.ForeignKey(
        Business,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_petitions",
        verbose_name=_("proposed by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    answer = models.TextField(_("official answer"), max_length=10000, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    # Per-petition salt of the IP hashes: they cannot be joined across petitions.
    ip_salt = models.CharField(max_length=32, default=_salt, editable=False)
    anonymised_at = models.DateTimeField(_("signatures anonymised"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        permissions = [
            ("moderate_petition", _("Can moderate petitions")),
            ("answer_petition", _("Can publish the official answer")),
        ]

    def __str__(self) -> str:
        return self.title

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())

    def text_in(self, field: str, language: str | None = None) -> str:
        """The staff translation of a field into this language (default: the active one), else the original."""
        language = (language or get_language() or "").split("-")[0]
        translated = (self.translations or {}).get(language) or {}
        return translated.get(field) or getattr(self, field)

    # For templates and e-mails, rendered in the visitor's or recipient's active language.
    @property
    def localized_title(self) -> str:
        return self.text_in("title")

    @property
    def localized_text(self) -> str:
        return self.text_in("text")

    @property
    def localized_demand(self) -> str:
        return self.text_in("demand")

    @property
    def localized_answer(self) -> str:
        return self.text_in("answer")

    @property
    def text_is_translated(self) -> bool:
        """Whether the text shown in the active language is a translation (not the original)."""
        language = (get_language() or "").split("-")[0]
        return language != self.language and bool(((self.translations or {}).get(language) or {}).get("text"))

    @property
    def localized_language(self) -> str:
        """The language the text is shown in, for the lang attribute of the page."""
        return (get_language() or self.language).split("-")[0] if self.text_is_translated else self.language


class PetitionThreshold(models.Model):
    """A number of confirmed signatures that obliges the operator to do something."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="thresholds")
    count = models.PositiveIntegerField(_("signatures"), validators=[MinValueValidator(1), MaxValueValidator(10**9)])
    label = models.CharField(_("consequence"), max_length=200, help_text=_("For example: the operator answers."))
    answer_within_days = models.PositiveSmallIntegerField(_("answer within (days)"), null=True, blank=True)
    # Null again when invalidations take the count back below.
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    # Set once: crossing a threshold notifies once, even if it is reached again.
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)

    class Meta:
        ordering = ["petition_id", "count"]
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        constraints = [models.UniqueConstraint(fields=["petition", "count"], name="threshold_once_per_count")]

    def __str__(self) -> str:
        return f"{self.count}: {self.label}"

    @property
    def answer_due_at(self):
        if self.reached_at is None or self.answer_within_days is None:
            return None
        return self.reached_at + timedelta(days=self.answer_within_days)


class PetitionTally(models.Model):
    """The counts shown to the public; written only by the batched counter."""

    petition = models.OneToOneField(Petition, on_delete=models.CASCADE, primary_key=True, related_name="tally")
    confirmed = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    # Declared losses per currency, as strings: {"EUR": "1234.50"}.
    losses = models.JSONField(default=dict)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.confirmed}"


class Signature(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), max_length=254)
    # Lower case, without +tag (and without dots for Gmail): one person, one signature.
    email_canonical = models.CharField(max_length=254)
    email_domain = models.CharField(max_length=253, db_index=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    customer_number = models.CharField(_("customer number"), max_length=20, blank=True)
    business = models.ForeignKey(Business, on_delete=models.SET_NULL, null=True, blank=True, related_name="signatures")
    verified_customer = models.BooleanField(_("verified customer"), default=False)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.EN)
    loss_amount = models.DecimalField(_("declared loss"), default=Decimal("0"), **MONEY)
    loss_currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    hours_without_service = models.PositiveIntegerField(
        _("hours without service"), default=0, validators=[MaxValueValidator(24 * 366)]
    )
    lines_affected = models.PositiveIntegerField(_("lines affected"), default=0, validators=[MaxValueValidator(100000)])
    evidence = models.FileField(_("evidence"), upload_to="petitions/evidence/%Y/%m/", blank=True, max_length=200)
    wants_updates = models.BooleanField(_("tell me about milestones"), default=False)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("signed"), auto_now_add=True, db_index=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("invalidated"), null=True, blank=True)
    invalidation = models.ForeignKey(
        "SignatureInvalidation", on_delete=models.SET_NULL, null=True, blank=True, related_name="signatures"
    )
    answer_sent_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # Counter bookkeeping: whether this row is in the tally, and whether that may be stale.
    counted = models.BooleanField(default=False)
    dirty = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        permissions = [("invalidate_signature", _("Can invalidate signatures in bulk"))]
        constraints = [
            models.UniqueConstraint(fields=["petition", "email_canonical"], name="signature_once_per_email"),
            models.UniqueConstraint(
                fields=["petition", "business"],
                condition=models.Q(verified_customer=True),
                name="signature_one_verified_claim_per_business",
            ),
            models.CheckConstraint(condition=models.Q(loss_amount__gte=0), name="signature_loss_not_negative"),
        ]
        indexes = [
            models.Index(fields=["petition", "confirmed_at"], name="signature_petition_confirmed"),
            models.Index(fields=["id"], condition=models.Q(dirty=True), name="signature_dirty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_live(self) -> bool:
        """Counts: confirmed, neither withdrawn nor invalidated."""
        return bool(self.confirmed_at and not self.withdrawn_at and not self.invalidated_at)


class SignatureInvalidation(models.Model):
    """A bulk invalidation by staff, with its criteria and reason (the audit row)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="invalidations")
    reason = models.CharField(_("reason"), max_length=500)
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=253, blank=True)
    since = models.DateTimeField(_("signed from"), null=True, blank=True)
    until = models.DateTimeField(_("signed until"), null=True, blank=True)
    affected = models.PositiveIntegerField(_("signatures invalidated"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signature invalidation")
        verbose_name_plural = _("signature invalidations")

    def __str__(self) -> str:
        return self.reason


class CompensationRule(models.Model):
    """The parameters of the compensation engine (compensation.py), versioned by effective date.

    With an incident: that incident's rule. Without: the default regime. The
    version that applies is the newest one effective at the incident's start.
    """

    class Preset(models.TextChoices):
        CUSTOM = "custom", _("Custom")
        OFCOM = "ofcom", _("Ofcom automatic compensation (UK)")
        TKG58 = "tkg58", _("TKG section 58 (Germany)")
        BELGIUM = "belgium", _("Belgium")
        AGCOM = "agcom", _("AGCOM (Italy)")
        FRANCE_48H = "france_48h", _("French contract clause (48 hours)")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="compensation_rules"
    )
    name = models.CharField(_("name"), max_length=120)
    preset = models.CharField(_("preset"), max_length=12, choices=Preset.choices, default=Preset.CUSTOM)
    # Overrides of the preset's parameters (see compensation.Rules).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    effective_from = models.DateTimeField(_("effective from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")

    def __str__(self) -> str:
        return self.name


class CompensationDecision(models.Model):
    """What one business is offered for one incident, and what it answered."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AWAITING_APPROVAL = "awaiting", _("Awaiting second approval")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        COUNTERED = "countered", _("Countered")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS = {
        Status.PROPOSED: {Status.OFFERED, Status.AWAITING_APPROVAL},
        Status.AWAITING_APPROVAL: {Status.OFFERED, Status.PROPOSED},
        Status.OFFERED: {Status.ACCEPTED, Status.COUNTERED, Status.REJECTED},
        Status.COUNTERED: {Status.OFFERED, Status.AWAITING_APPROVAL},
        Status.ACCEPTED: set(),
        Status.REJECTED: set(),
    }

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="compensation_decisions")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="compensation_decisions")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    rule = models.ForeignKey(CompensationRule, on_delete=models.SET_NULL, null=True, related_name="decisions")
    proposed_amount = models.DecimalField(_("proposed"), **MONEY)
    offered_amount = models.DecimalField(_("offered"), null=True, blank=True, **MONEY)
    counter_amount = models.DecimalField(_("counter-offer"), null=True, blank=True, **MONEY)
    # Per subscription: [{"subscription": id, "site": ..., "amount": "12.00", ...}].
    lines = models.JSONField(_("computation"), default=list)
    claimed_amount = models.DecimalField(_("declared loss"), null=True, blank=True, **MONEY)
    flagged = models.BooleanField(_("flagged for review"), default=False, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    business_comment = models.CharField(_("business comment"), max_length=1000, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported for billing"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["incident_id", "business_id"]
        verbose_name = _("compensation decision")
        verbose_name_plural = _("compensation decisions")
        permissions = [("approve_compensationdecision", _("Can approve compensation over the limit"))]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "business", "currency"], name="compensation_once_per_incident_business"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_id} / {self.incident_id}: {self.proposed_amount} {self.currency}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())
