"""Base mixins shared by every module, and the audit trail."""

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    """Creation and last-change times, set by the database layer."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CustomFieldsModel(models.Model):
    """Values of brand-defined custom fields, validated against their definitions on write."""

    custom_fields = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One write: who did it, when, in which brand, to which object, and each changed field.

    ``changes`` maps a field name to ``[before, after]``; a creation has ``None`` befores and a
    deletion ``None`` afters. ``brand_id`` is empty for group-level objects (parties, brands).
    """

    class Action(models.TextChoices):
        CREATE = "create", "create"
        UPDATE = "update", "update"
        DELETE = "delete", "delete"
        LINK = "link", "link"
        LOGIN = "login", "login"
        REVOKE = "revoke", "revoke"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    brand_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["brand_id", "-created_at"], name="audit_brand_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class ScheduleState(models.Model):
    """When a periodic job last ran, so a restarted scheduler neither skips nor repeats it."""

    name = models.CharField(max_length=100, primary_key=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
