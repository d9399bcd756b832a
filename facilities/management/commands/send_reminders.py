from django.core.management.base import BaseCommand

from facilities import notifications
from logbook.services import mark_no_shows


class Command(BaseCommand):
    help = (
        "E-mail reminders of tomorrow's bookings and warnings of qualifications expiring within 30 days; "
        "mark bookings not checked in 30 minutes after their start as no-shows. Run hourly."
    )

    def handle(self, *args, **options):
        reminders = notifications.send_booking_reminders()
        warnings = notifications.send_expiry_warnings()
        no_shows = mark_no_shows()
        self.stdout.write(
            f"Sent {reminders} booking reminders and {warnings} qualification expiry warnings; "
            f"marked {no_shows} no-shows."
        )
