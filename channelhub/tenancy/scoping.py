"""The one way into brand data: querysets that start from the actor."""

from typing import Any, Self

from django.db import models

from channelhub.core.errors import NotFound
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.models import Brand


class BrandScopedQuerySet(models.QuerySet):
    """Rows of the brands the actor may see; subclasses narrow further (regions, own account)."""

    def for_actor(self, actor: Actor) -> Self:
        return self.filter(brand_id__in=actor.brand_ids)

    def get_for_actor(self, actor: Actor, **lookup: Any):
        """One row the actor may see, or :class:`NotFound` (missing and not-yours look alike)."""
        try:
            return self.for_actor(actor).get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound(f"{self.model._meta.verbose_name} not found") from None


class BrandOwnedModel(models.Model):
    """Base of every brand-owned row: the ``brand_id`` that scoping and RLS isolate on."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="+")

    objects = BrandScopedQuerySet.as_manager()

    class Meta:
        abstract = True
