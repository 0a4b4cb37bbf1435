"""Approval processes: BPMN definitions per brand and version, running instances, human tasks."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from channelhub.core.models import TimeStampedModel
from channelhub.tenancy.scoping import BrandOwnedModel


class ProcessDefinition(BrandOwnedModel, TimeStampedModel):
    """One version of a brand's BPMN process for a process key (e.g. ``distributor_onboarding``).

    Drafts are edited in place; publishing freezes a draft as the key's newest version. Running
    instances keep the version they started on.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿 Draft"
        PUBLISHED = "published", "已发布 Published"
        RETIRED = "retired", "已停用 Retired"

    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    bpmn_xml = models.TextField()
    decisions = models.JSONField(default=list, blank=True, help_text="DMN documents (one decision table each)")
    process_id = models.CharField(max_length=100, blank=True, help_text="id of the executable BPMN process")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["brand_id", "key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "key", "version"], name="definition_brand_key_version"),
        ]
        indexes = [models.Index(fields=["brand", "key", "status"], name="definition_brand_key_status")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version or 'draft'}"


class ProcessInstance(BrandOwnedModel, TimeStampedModel):
    """A running (or finished) process about one business object, with its engine state."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中 Running"
        APPROVED = "approved", "已通过 Approved"
        REJECTED = "rejected", "已驳回 Rejected"
        CANCELLED = "cancelled", "已撤销 Cancelled"
        INCIDENT = "incident", "异常 Incident"

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=200, blank=True)
    subject_divisions = models.JSONField(default=list, help_text="division codes of the business object")
    data = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="the business data the request was started with"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    # Kept as the engine wrote it: PostgreSQL's jsonb would reorder keys the engine relies on.
    state = models.TextField(blank=True, help_text="serialized engine state (JSON text)")
    incident = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["brand", "status"], name="instance_brand_status"),
            models.Index(fields=["subject_type", "subject_id"], name="instance_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key}#{self.pk} {self.subject_label}"


class WorkTask(BrandOwnedModel):
    """A human step waiting for (or done by) someone: one row per engine user task."""

    class Status(models.TextChoices):
        OPEN = "open", "待办 Open"
        DONE = "done", "已办 Done"
        CANCELLED = "cancelled", "已取消 Cancelled"

    class Decision(models.TextChoices):
        APPROVE = "approve", "同意 Approve"
        REJECT = "reject", "驳回 Reject"
        RETURN = "return", "退回 Return"
        ADD_SIGNER = "add_signer", "加签 Add signer"

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="tasks")
    engine_task_id = models.UUIDField()
    step = models.CharField(max_length=100, help_text="BPMN element id")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=32, blank=True, help_text="candidate role (the BPMN lane)")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    candidates = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TaskCandidate", related_name="+", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    comment = models.TextField(blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    added_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the task that added this signer (加签)",
    )
    return_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="who decides the step after this added signer (加签 before them)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # a step sent back (退回) waits again under the same engine id: one open row at a time
            models.UniqueConstraint(
                fields=["instance", "engine_task_id"],
                condition=models.Q(status="open"),
                name="worktask_one_open_per_engine_task",
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "status", "role"], name="worktask_brand_status_role"),
            models.Index(fields=["assignee", "status"], name="worktask_assignee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class TaskCandidate(BrandOwnedModel):
    """Someone who may act on an open task: resolved from role and region when the task opens."""

    task = models.ForeignKey(WorkTask, on_delete=models.CASCADE, related_name="candidate_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="taskcandidate_unique")]
        indexes = [models.Index(fields=["user", "brand"], name="taskcandidate_user_brand")]
