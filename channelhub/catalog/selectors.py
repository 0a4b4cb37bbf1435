"""Scoped reads of the catalogue."""

from django.db.models import Q, QuerySet

from channelhub.catalog.models import Authorization, Category, PriceList, Product, Promotion
from channelhub.tenancy.actor import Actor


def products_for(
    actor: Actor, *, brand_id: int | None = None, q: str = "", category: int | None = None
) -> QuerySet[Product]:
    qs = Product.objects.for_actor(actor).select_related("category")
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    if q.strip():
        text = q.strip()  # as the catalogue page searches: any part of the SKU or name, any case
        qs = qs.filter(Q(sku__icontains=text) | Q(name__icontains=text) | Q(barcode=text))
    if category is not None:
        found = Category.objects.for_actor(actor).filter(pk=category).first()
        qs = qs.filter(category__path__startswith=found.path) if found else qs.none()
    return qs.order_by("brand_id", "sku")


def get_product(actor: Actor, product_id: int) -> Product:
    return Product.objects.select_related("category").get_for_actor(actor, id=product_id)


def categories_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[Category]:
    qs = Category.objects.for_actor(actor)
    return qs.filter(brand_id=brand_id) if brand_id is not None else qs


def get_category(actor: Actor, category_id: int) -> Category:
    return Category.objects.get_for_actor(actor, id=category_id)


def authorizations_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[Authorization]:
    qs = Authorization.objects.for_actor(actor).select_related("product", "category", "division", "sales_region")
    return (qs.filter(brand_id=brand_id) if brand_id is not None else qs).order_by("brand_id", "-id")


def get_authorization(actor: Actor, rule_id: int) -> Authorization:
    return Authorization.objects.get_for_actor(actor, id=rule_id)


def price_lists_for(actor: Actor, *, brand_id: int | None = None) -> QuerySet[PriceList]:
    qs = PriceList.objects.for_actor(actor)
    return qs.filter(brand_id=brand_id) if brand_id is not None else qs


def get_price_list(actor: Actor, list_id: int) -> PriceList:
    return PriceList.objects.get_for_actor(actor, id=list_id)


def promotions_for(actor: Actor, *, brand_id: int | None = None, status: str = "") -> QuerySet[Promotion]:
    qs = Promotion.objects.for_actor(actor)
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    return qs.filter(status=status) if status else qs


def get_promotion(actor: Actor, promotion_id: int) -> Promotion:
    return Promotion.objects.get_for_actor(actor, id=promotion_id)
