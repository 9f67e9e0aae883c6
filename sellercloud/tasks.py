"""Celery tasks of the core app: thin entry points that call sellercloud.services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def password_reset_send_task(email: str, domain: str, use_https: bool) -> None:
    """Send the password reset mail the Password reset page asked for (if the email has an account)."""
    services.password_reset_send(email=email, domain=domain, use_https=use_https)
