"""Demo customers: services, Swiss cantons and French départements, ~500 businesses."""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from faker import Faker

from .models import Business, Channel, Contact, Region, Service, Subscription, VoiceLine
from .roles import AGENT, MANAGER

SERVICES = [
    ("business-phone", "Business phone", {"fr": "Téléphonie d'entreprise", "de": "Business-Telefonie", "it": "Telefonia aziendale"}, Channel.VOICE),
    ("fixed-email", "Fixed e-mail", {"fr": "Messagerie fixe", "de": "Festnetz-E-Mail", "it": "E-mail fissa"}, Channel.EMAIL),
    ("internet", "Internet", {"fr": "Internet", "de": "Internet", "it": "Internet"}, ""),
]  # fmt: skip

CANTONS = [
    ("AG", "Aargau"), ("AI", "Appenzell Innerrhoden"), ("AR", "Appenzell Ausserrhoden"), ("BE", "Bern"),
    ("BL", "Basel-Landschaft"), ("BS", "Basel-Stadt"), ("FR", "Fribourg"), ("GE", "Genève"), ("GL", "Glarus"),
    ("GR", "Graubünden"), ("JU", "Jura"), ("LU", "Luzern"), ("NE", "Neuchâtel"), ("NW", "Nidwalden"),
    ("OW", "Obwalden"), ("SG", "St. Gallen"), ("SH", "Schaffhausen"), ("SO", "Solothurn"), ("SZ", "Schwyz"),
    ("TG", "Thurgau"), ("TI", "Ticino"), ("UR", "Uri"), ("VD", "Vaud"), ("VS", "Valais"), ("ZG", "Zug"),
    ("ZH", "Zürich"),
]  # fmt: skip
# Language spoken in each canton, for the demo businesses' language.
CANTON_LANGUAGE = {"GE": "fr", "VD": "fr", "NE": "fr", "JU": "fr", "FR": "fr", "VS": "fr", "TI": "it", "GR": "it"}

DEPARTEMENTS = [
    ("01", "Ain"), ("02", "Aisne"), ("03", "Allier"), ("04", "Alpes-de-Haute-Provence"), ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"), ("07", "Ardèche"), ("08", "Ardennes"), ("09", "Ariège"), ("10", "Aube"),
    ("11", "Aude"), ("12", "Aveyron"), ("13", "Bouches-du-Rhône"), ("14", "Calvados"), ("15", "Cantal"),
    ("16", "Charente"), ("17", "Charente-Maritime"), ("18", "Cher"), ("19", "Corrèze"), ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"), ("21", "Côte-d'Or"), ("22", "Côtes-d'Armor"), ("23", "Creuse"), ("24", "Dordogne"),
    ("25", "Doubs"), ("26", "Drôme"), ("27", "Eure"), ("28", "Eure-et-Loir"), ("29", "Finistère"), ("30", "Gard"),
    ("31", "Haute-Garonne"), ("32", "Gers"), ("33", "Gironde"), ("34", "Hérault"), ("35", "Ille-et-Vilaine"),
    ("36", "Indre"), ("37", "Indre-et-Loire"), ("38", "Isère"), ("39", "Jura"), ("40", "Landes"),
    ("41", "Loir-et-Cher"), ("42", "Loire"), ("43", "Haute-Loire"), ("44", "Loire-Atlantique"), ("45", "Loiret"),
    ("46", "Lot"), ("47", "Lot-et-Garonne"), ("48", "Lozère"), ("49", "Maine-et-Loire"), ("50", "Manche"),
    ("51", "Marne"), ("52", "Haute-Marne"), ("53", "Mayenne"), ("54", "Meurthe-et-Moselle"), ("55", "Meuse"),
    ("56", "Morbihan"), ("57", "Moselle"), ("58", "Nièvre"), ("59", "Nord"), ("60", "Oise"), ("61", "Orne"),
    ("62", "Pas-de-Calais"), ("63", "Puy-de-Dôme"), ("64", "Pyrénées-Atlantiques"), ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"), ("67", "Bas-Rhin"), ("68", "Haut-Rhin"), ("69", "Rhône"), ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"), ("72", "Sarthe"), ("73", "Savoie"), ("74", "Haute-Savoie"), ("75", "Paris"),
    ("76", "Seine-Maritime"), ("77", "Seine-et-Marne"), ("78", "Yvelines"), ("79", "Deux-Sèvres"), ("80", "Somme"),
    ("81", "Tarn"), ("82", "Tarn-et-Garonne"), ("83", "Var"), ("84", "Vaucluse"), ("85", "Vendée"), ("86", "Vienne"),
    ("87", "Haute-Vienne"), ("88", "Vosges"), ("89", "Yonne"), ("90", "Territoire de Belfort"), ("91", "Essonne"),
    ("92", "Hauts-de-Seine"), ("93", "Seine-Saint-Denis"), ("94", "Val-de-Marne"), ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion"), ("976", "Mayotte"),
]  # fmt: skip

DEMO_PASSWORDS = {"agent": "agent-demo-2026", "manager": "manager-demo-2026", "admin": "admin-demo-2026"}
DEMO_CONTACT_EMAIL = "contact@demo.example"
DEMO_CONTACT_PASSWORD = "contact-demo-2026"
SWISS_BUSINESSES = 300
FRENCH_BUSINESSES = 200
FAKER_LOCALES = {"fr": "fr_CH", "de": "de_CH", "it": "it_CH", "en": "en_GB"}


def seed(*, stdout) -> None:
    _seed_catalog()
    _seed_staff()
    if Business.objects.filter(customer_number__startswith="DEMO-").exists():
        stdout.write("  customers: already there")
        return
    _seed_businesses()
    stdout.write(f"  customers: {Business.objects.count()} businesses, {Contact.objects.count()} contacts")


def _seed_catalog() -> None:
    for slug, name, translations, channel in SERVICES:
        Service.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_translations": translations, "carries_channel": channel}
        )
    for code, name in CANTONS:
        Region.objects.update_or_create(
            code=f"CH-{code}", defaults={"name": name, "country": "CH", "kind": Region.Kind.CANTON}
        )
    for code, name in DEPARTEMENTS:
        Region.objects.update_or_create(
            code=f"FR-{code}", defaults={"name": name, "country": "FR", "kind": Region.Kind.DEPARTEMENT}
        )


def _seed_staff() -> None:
    User = get_user_model()
    for username, group in (("agent", AGENT), ("manager", MANAGER)):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@operator.example", "is_staff": True}
        )
        if created:
            user.set_password(DEMO_PASSWORDS[username])
            user.save()
        user.groups.add(Group.objects.get(name=group))
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@operator.example", DEMO_PASSWORDS["admin"])


def _seed_businesses() -> None:
    rng = random.Random(2026)  # demo data, not security
    fakers = {lang: Faker(locale) for lang, locale in FAKER_LOCALES.items()}
    for f in fakers.values():
        f.seed_instance(2026)
    services = {s.slug: s for s in Service.objects.all()}
    swiss = list(Region.objects.filter(country="CH"))
    french = list(Region.objects.filter(country="FR"))

    plan = [("CH", i) for i in range(SWISS_BUSINESSES)] + [("FR", i) for i in range(FRENCH_BUSINESSES)]
    businesses, contacts, subscriptions = [], [], []
    for n, (country, _) in enumerate(plan, start=1):
        region = rng.choice(swiss if country == "CH" else french)
        if country == "CH":
            language = CANTON_LANGUAGE.get(region.code[3:], rng.choice(["de", "de", "de", "en"]))
        else:
            language = rng.choice(["fr"] * 9 + ["en"])
        fake = fakers[language]
        business = Business(
            customer_number=f"DEMO-{n:05d}",
            company_name=fake.company()[:200],
            registration_id=f"CHE-{rng.randint(100, 999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}"
            if country == "CH"
            else f"{rng.randint(100000000, 999999999)}",
            language=language,
            tier=rng.choice(["standard", "standard", "business", "premium"]),
        )
        businesses.append((business, region, country))
    Business.objects.bulk_create([b for b, _, _ in businesses])

    currency_of = {"CH": "CHF", "FR": "EUR"}
    for business, region, country in businesses:
        fake = fakers[business.language]
        for k in range(rng.choice([1, 2, 2, 3])):
            domain = f"{business.customer_number.lower()}.demo.example"
            contacts.append(
                Contact(
                    business=business,
                    name=fake.name(),
                    email=f"contact{k + 1}@{domain}",
                    phone=f"+417{rng.choice([6, 7, 8, 9])}{rng.randint(1000000, 9999999)}"
                    if country == "CH"
                    else f"+336{rng.randint(10000000, 99999999)}",
                    language=rng.choice(["", "", "", business.language, "en"]),
                    is_business_admin=k == 0,
                    wants_sms=rng.random() < 0.4,
                )
            )
        for slug in rng.sample(sorted(services), rng.choice([1, 2, 2, 3])):
            fee = {"business-phone": 89, "fixed-email": 19, "internet": 129}[slug]
            subscriptions.append(
                Subscription(
                    business=business,
                    service=services[slug],
                    region=region,
                    site_label=fake.city()[:100],
                    site_address=fake.street_address()[:255],
                    monthly_fee=Decimal(fee + rng.randint(0, 60)),
                    currency=currency_of[country],
                )
            )
    Contact.objects.bulk_create(contacts)
    Subscription.objects.bulk_create(subscriptions)

    phone = services["business-phone"]
    lines = []
    for sub in Subscription.objects.filter(service=phone, business__customer_number__startswith="DEMO-"):
        country_code = "+4121" if sub.currency == "CHF" else "+331"
        for _ in range(rng.choice([1, 1, 2])):
            lines.append(VoiceLine(subscription=sub, number=f"{country_code}{rng.randint(1000000, 9999999):07d}"))
    VoiceLine.objects.bulk_create(lines, ignore_conflicts=True)

    # One contact of the first demo business logs in to the customer portal.
    User = get_user_model()
    first = Contact.objects.filter(business__customer_number="DEMO-00001", is_business_admin=True).first()
    user = User.objects.create_user(DEMO_CONTACT_EMAIL, DEMO_CONTACT_EMAIL, DEMO_CONTACT_PASSWORD)
    first.user = user
    first.email = DEMO_CONTACT_EMAIL
    first.save(update_fields=["user", "email"])
