from django.core.management.base import BaseCommand

from sanshi.intake.services import requests_anonymise_closed


class Command(BaseCommand):
    help = "Erase reporters' name, phone and address on cases closed more than SANSHI_ANONYMISE_AFTER_DAYS ago."

    def handle(self, *args, **options):
        count = requests_anonymise_closed()
        self.stdout.write(f"anonymised {count} request(s)")
