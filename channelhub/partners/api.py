"""Distributor endpoints: thin, scoped, one service call per write."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.partners import selectors, services
from channelhub.partners.models import DistributorAccount

router = Router(tags=["distributors 经销商"])


class ContactSchema(Input):
    name: str = Field(..., max_length=50)
    title: str = Field("", max_length=50)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    is_primary: bool = False


class TerritorySchema(Schema):
    division: str | None = None
    division_name: str | None = None
    sales_region: Id | None = None
    sales_region_name: str | None = None


class DistributorListItem(Schema):
    id: int
    brand_id: int
    brand: str = Field(..., alias="brand.name")
    code: str
    name: str
    credit_code: str = Field(..., alias="party.credit_code")
    grade: str
    status: str
    registered_division: str = Field(..., alias="registered_division_id")
    registered_division_name: str = Field(..., alias="registered_division.full_name")
    updated_at: datetime


class DistributorDetail(DistributorListItem):
    party_id: int
    address: str
    legal_representative: str = Field(..., alias="party.legal_representative")
    registered_capital: Decimal | None = Field(None, alias="party.registered_capital")
    credit_limit: Decimal
    territory: list[TerritorySchema]
    contacts: list[ContactSchema]
    brands_served: list[dict]
    custom_fields: dict

    @staticmethod
    def resolve_territory(obj: DistributorAccount) -> list[dict]:
        return [
            {
                "division": t.division_id,
                "division_name": t.division.full_name if t.division else None,
                "sales_region": t.sales_region_id,
                "sales_region_name": t.sales_region.name if t.sales_region else None,
            }
            for t in obj.territory.all()
        ]

    @staticmethod
    def resolve_contacts(obj: DistributorAccount) -> list:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_brands_served(obj: DistributorAccount, context) -> list[dict]:
        return selectors.brands_serving_party(context["request"].actor, obj.party)


class DistributorCreate(Input):
    brand_id: Id | None = None
    credit_code: str = Field(..., max_length=30)
    name: str = Field(..., max_length=200)
    registered_division: str = Field(..., max_length=6)
    code: str = Field("", max_length=32)
    grade: str = "C"
    status: str = "prospect"
    address: str = Field("", max_length=255)
    legal_representative: str = Field("", max_length=50)
    registered_capital: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    territory_divisions: list[str] = []
    territory_sales_regions: list[int] = []
    contacts: list[ContactSchema] = []


class DistributorUpdate(Input):
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=200)
    grade: str | None = None
    status: str | None = None
    registered_division: str | None = Field(None, max_length=6)
    address: str | None = Field(None, max_length=255)
    legal_representative: str | None = Field(None, max_length=50)
    registered_capital: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    territory_divisions: list[str] | None = None
    territory_sales_regions: list[int] | None = None
    contacts: list[ContactSchema] | None = None


@router.get("/distributors", response=list[DistributorListItem])
@paginate(Paging)
def list_distributors(
    request: HttpRequest,
    brand_id: Id | None = None,
    region: str | None = None,
    sales_region: Id | None = None,
    grade: str | None = None,
    status: str | None = None,
    q: str = "",
):
    """Distributors you may see; filter by division code (region), sales region, grade, status, text."""
    qs = selectors.distributors_for(
        request.actor,
        brand_id=brand_id,
        region=region,
        sales_region=sales_region,
        grade=grade,
        status=status,
        query=q,
    )
    return qs


@router.get("/distributors/{account_id}", response=DistributorDetail)
def get_distributor(request: HttpRequest, account_id: Id):
    return selectors.get_distributor(request.actor, account_id)


@router.post("/distributors", response={201: DistributorDetail})
def create_distributor(request: HttpRequest, payload: DistributorCreate):
    data = payload.dict()
    contacts = [services.ContactInput(**c) for c in data.pop("contacts")]
    account = services.create_distributor(actor=request.actor, contacts=contacts, **data)
    return 201, selectors.get_distributor(request.actor, account.id)


@router.patch("/distributors/{account_id}", response=DistributorDetail)
def update_distributor(request: HttpRequest, account_id: Id, payload: DistributorUpdate):
    account = selectors.get_distributor(request.actor, account_id)
    changes = payload.dict(exclude_unset=True)
    if "contacts" in changes:
        changes["contacts"] = [services.ContactInput(**c) for c in changes["contacts"] or []]
    services.update_distributor(actor=request.actor, account=account, changes=changes)
    return selectors.get_distributor(request.actor, account_id)
