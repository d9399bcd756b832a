from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives
from django.template import loader

from . import mail


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, with its e-mail queued like every other (a slow mail server never holds the page)."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        message = EmailMultiAlternatives(
            subject, loader.render_to_string(email_template_name, context), from_email, [to_email]
        )
        if html_email_template_name is not None:
            message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
        mail.enqueue(message)
