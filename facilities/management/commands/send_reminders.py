from django.core.management.base import BaseCommand

from facilities import notifications


class Command(BaseCommand):
    help = "E-mail reminders of tomorrow's bookings and warnings of qualifications expiring within 30 days. Run hourly."

    def handle(self, *args, **options):
        reminders = notifications.send_booking_reminders()
        warnings = notifications.send_expiry_warnings()
        self.stdout.write(f"Sent {reminders} booking reminders and {warnings} qualification expiry warnings.")
