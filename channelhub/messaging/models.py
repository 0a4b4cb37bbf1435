"""In-app notifications: what a user is told (new task, reminder, escalation), and whether read."""

from django.conf import settings
from django.db import models

from channelhub.tenancy.scoping import BrandOwnedModel


class Notification(BrandOwnedModel):
    """One message to one user in one brand; richer channels (push, WeCom, SMS) come later."""

    class Kind(models.TextChoices):
        TASK_ASSIGNED = "task_assigned", "新待办 New task"
        TASK_REMINDER = "task_reminder", "催办提醒 Reminder"
        TASK_ESCALATED = "task_escalated", "超时升级 Escalated"
        PROCESS_FINISHED = "process_finished", "流程结束 Process finished"
        ORDER = "order", "订单动态 Order update"
        CROSS_TERRITORY = "cross_territory", "窜货预警 Cross-territory alert"
        CREDIT = "credit", "信用提醒 Credit notice"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title
