from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from customers.services import customer_create

EMAIL = "staff@example.com"
PASSWORD = "demo-staff-password"


class Command(BaseCommand):
    help = "Create the demo staff account for local development (DEBUG only) and print it."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo staff account is for local development only (DEBUG=true).")
        if not Customer.objects.filter(email=EMAIL).exists():
            customer_create(
                email=EMAIL, name="Demo Staff", password=PASSWORD, is_staff=True, is_superuser=True
            )
            self.stdout.write("Created the demo staff account.")
        self.stdout.write(f"Demo staff: email {EMAIL} password {PASSWORD} (admin at /admin/)")
