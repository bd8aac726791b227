"""An officer's counters are freed when they log out or their account is deactivated: a counter
held by someone who has gone home refuses every other officer. The tickets stay with the counter
(called, served and held ones) for whoever sits there next."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from motcua.org.models import User

from .services import counters_free_for


@receiver(user_logged_out, dispatch_uid="queueing_free_counters_on_logout")
def free_counters_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        counters_free_for(officer=user)


@receiver(post_save, sender=User, dispatch_uid="queueing_free_counters_on_deactivation")
def free_counters_on_deactivation(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        counters_free_for(officer=instance)
