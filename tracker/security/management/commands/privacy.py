"""Staff tool for data subject requests: export or erase what is held on a person, by e-mail or contact id."""

import json

from django.core.management.base import BaseCommand, CommandError

from tracker.customers.models import Contact
from tracker.security.privacy import contact_erase, contact_export, contacts_for_email


class Command(BaseCommand):
    help = "Export (JSON on stdout) or erase the personal data of a contact, found by --email or --contact."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="every contact with this e-mail address")
        who.add_argument("--contact", type=int, help="one contact id")
        parser.add_argument("--yes", action="store_true", help="erase without asking")

    def handle(self, *args, action, email, contact, yes, **options):
        contacts = list(contacts_for_email(email) if email else Contact.objects.filter(pk=contact))
        if not contacts:
            raise CommandError("No contact matches.")
        if action == "export":
            data = [contact_export(contact=c) for c in contacts]
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not yes:
            raise CommandError(f"This erases {len(contacts)} contact(s) for good: add --yes to confirm.")
        for c in contacts:
            contact_erase(contact=c)
        self.stdout.write(f"Erased {len(contacts)} contact(s): {', '.join(str(c.pk) for c in contacts)}")
