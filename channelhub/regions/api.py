"""Divisions (reference data) and brand sales regions."""

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from channelhub.core.api import Id, Input, Paging
from channelhub.core.errors import NotFound
from channelhub.regions import selectors, services

router = Router(tags=["regions 区域"])


class DivisionSchema(Schema):
    code: str
    name: str
    full_name: str
    level: int
    kind: str
    parent: str | None = Field(None, alias="parent_id")


class DivisionNode(DivisionSchema):
    children: list[DivisionSchema]


class SalesRegionSchema(Schema):
    id: int
    brand_id: int
    code: str
    name: str
    description: str
    divisions: list[str]

    @staticmethod
    def resolve_divisions(obj) -> list[str]:
        return sorted(m.division_id for m in obj.members.all())


class SalesRegionCreate(Input):
    brand_id: Id | None = None
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = ""
    divisions: list[str] = Field(..., min_length=1)


class SalesRegionUpdate(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    divisions: list[str] | None = None


@router.get("/regions/divisions", response=list[DivisionSchema])
@paginate(Paging)
def search_divisions(request: HttpRequest, q: str = "", level: int | None = None, parent: str | None = None):
    """Search China's divisions by name fragment or code prefix (GB/T 2260)."""
    return selectors.search_divisions(query=q, level=level, parent=parent)


@router.get("/regions/divisions/{code}", response=DivisionNode)
def get_division(request: HttpRequest, code: str):
    """One division with its direct children: walk the tree from the provinces down."""
    division = selectors.get_division(code)
    if division is None:
        raise NotFound("division not found", field="code")
    return {**DivisionSchema.from_orm(division).dict(), "children": list(selectors.search_divisions(parent=code))}


@router.get("/regions/tree", response=list[DivisionSchema])
def provinces(request: HttpRequest):
    """The top of the tree: the 34 province-level divisions."""
    return list(selectors.search_divisions(level=1))


@router.get("/sales-regions", response=list[SalesRegionSchema])
@paginate(Paging)
def list_sales_regions(request: HttpRequest, brand_id: Id | None = None):
    return selectors.sales_regions_for(request.actor, brand_id=brand_id).prefetch_related("members")


@router.get("/sales-regions/{region_id}", response=SalesRegionSchema)
def get_sales_region(request: HttpRequest, region_id: Id):
    return selectors.get_sales_region(request.actor, region_id)


@router.post("/sales-regions", response={201: SalesRegionSchema})
def create_sales_region(request: HttpRequest, payload: SalesRegionCreate):
    region = services.create_sales_region(actor=request.actor, **payload.dict())
    return 201, region


@router.patch("/sales-regions/{region_id}", response=SalesRegionSchema)
def update_sales_region(request: HttpRequest, region_id: Id, payload: SalesRegionUpdate):
    region = selectors.get_sales_region(request.actor, region_id)
    region = services.update_sales_region(actor=request.actor, region=region, **payload.dict(exclude_unset=True))
    return region


@router.delete("/sales-regions/{region_id}", response={204: None})
def delete_sales_region(request: HttpRequest, region_id: Id):
    region = selectors.get_sales_region(request.actor, region_id)
    services.delete_sales_region(actor=request.actor, region=region)
    return 204, None
