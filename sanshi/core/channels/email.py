"""E-mail through Django's mail framework (EMAIL_BACKEND: console by default, SMTP in production)."""

from django.conf import settings
from django.core.mail import EmailMessage


def absolute_link(link: str) -> str:
    if not link:
        return ""
    return settings.SANSHI_SITE_URL.rstrip("/") + link if link.startswith("/") else link


def send_email(*, to: str, subject: str, body: str, link: str = "", message_id: str = "") -> None:
    text = body
    if link:
        text += "\n\n" + absolute_link(link)
    headers = {"X-Sanshi-Delivery": message_id} if message_id else {}
    EmailMessage(subject=subject, body=text, to=[to], headers=headers).send(fail_silently=False)
