"""Celery tasks of the core app: thin entry points that call sellercloud.services."""

from celery import shared_task

from . import heartbeat, services


@shared_task(acks_late=True)
def password_reset_send_task(email: str, domain: str, use_https: bool) -> None:
    """Send the password reset mail the Password reset page asked for (if the email has an account)."""
    services.password_reset_send(email=email, domain=domain, use_https=use_https)


@shared_task(name="sellercloud.heartbeat_task", ignore_result=True)
def heartbeat_task() -> None:
    """Beat entry `heartbeat`: a worker says it is alive (sellercloud.heartbeat; /healthz reads it)."""
    heartbeat.record(heartbeat.WORKER_KEY)
