"""Catalogue spreadsheets: products import (all or nothing, every bad cell named) and export, the
distributor's price sheet, their API endpoints and who may use them."""

import zipfile
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from channelhub.catalog import excel
from channelhub.catalog.excel import RowError, export_products, import_products, price_sheet_xlsx
from channelhub.catalog.models import CatalogVersion, Product
from channelhub.core.errors import Forbidden, NotFound, ValidationFailed
from channelhub.core.models import AuditEntry
from channelhub.testing import (
    AccountFactory,
    BrandFactory,
    actor_of,
    distributor_user,
    see_all_brands,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HEADER = ["商品编码", "条形码", "名称", "类目编码", "单位", "箱规", "起订量", "税目", "状态"]


def xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_of(content: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(content)).active.iter_rows(values_only=True))


def products(brand) -> list[tuple]:
    see_all_brands()
    fields = ["sku", "barcode", "name", "category__code", "unit", "pack_size", "min_order_qty"]
    fields += ["tax_category", "status"]
    return list(Product.objects.filter(brand=brand).order_by("sku").values_list(*fields))


def version(brand) -> int:
    see_all_brands()
    return CatalogVersion.objects.filter(brand=brand).values_list("version", flat=True).first() or 0


def product_audits(brand) -> int:
    see_all_brands()
    return AuditEntry.objects.filter(brand_id=brand.id, object_type="catalog.product").count()


@pytest.fixture
def stocked(shop):
    shop.product("W1", name="矿泉水 550ml", barcode="6901234567890", pack_size=6, min_order_qty=12)
    shop.product("W2", name="苏打水", unit="箱", tax_category="vat9", status="inactive", category=shop.root)
    return shop


class TestImport:
    def test_export_then_import_changes_nothing(self, stocked):
        # given
        before, versions, audits = products(stocked.brand), version(stocked.brand), product_audits(stocked.brand)
        content = export_products(actor=stocked.actor, brand_id=stocked.brand.id)
        # when
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        # then
        assert (report.ok, report.rows, report.created, report.updated, report.unchanged) == (True, 2, 0, 0, 2)
        assert products(stocked.brand) == before
        assert (version(stocked.brand), product_audits(stocked.brand)) == (versions, audits)

    def test_the_export_lists_every_product_with_chinese_headers(self, stocked):
        content = export_products(actor=stocked.actor, brand_id=stocked.brand.id)
        assert rows_of(content) == [
            tuple(HEADER),
            ("W1", "6901234567890", "矿泉水 550ml", "water", "件", 6, 12, "13%", "在售"),
            ("W2", None, "苏打水", "drinks", "箱", 1, 1, "9%", "停售"),
        ]

    def test_new_skus_are_created_and_existing_ones_updated_through_the_services(self, stocked):
        # given: English headers, rates and codes, numbers where Excel keeps them
        versions, audits = version(stocked.brand), product_audits(stocked.brand)
        content = xlsx(
            ["SKU", "barcode", "name", "category", "unit", "pack_size", "min_order_qty", "tax_category", "status"],
            ["W1", 6901234567891, "矿泉水 550ml 新包装", "water", "件", 6, 24, "vat13", "active"],
            ["W3", None, "茶饮料", "drinks", "瓶", 12, None, 0.06, "停售"],
            ["W4", "", "果汁", "water", None, None, None, None, None],
        )
        # when
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        # then
        assert (report.ok, report.created, report.updated, report.unchanged) == (True, 2, 1, 0)
        assert products(stocked.brand) == [
            ("W1", "6901234567891", "矿泉水 550ml 新包装", "water", "件", 6, 24, "vat13", "active"),
            ("W2", "", "苏打水", "drinks", "箱", 1, 1, "vat9", "inactive"),
            ("W3", "", "茶饮料", "drinks", "瓶", 12, 12, "vat6", "inactive"),
            ("W4", "", "果汁", "water", "件", 1, 1, "vat13", "active"),
        ]
        assert version(stocked.brand) == versions + 1  # one bump for the whole import
        assert product_audits(stocked.brand) == audits + 3
        see_all_brands()
        update = AuditEntry.objects.filter(object_type="catalog.product", action="update").get()
        assert update.changes == {
            "barcode": ["6901234567890", "6901234567891"],
            "min_order_qty": [12, 24],
            "name": ["矿泉水 550ml", "矿泉水 550ml 新包装"],
        }

    def test_an_empty_cell_keeps_the_value_but_an_empty_barcode_clears_it(self, stocked):
        content = xlsx(HEADER, ["W1", None, None, None, None, None, None, "13 %", "在售 Active"])
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        assert (report.ok, report.updated) == (True, 1)
        assert products(stocked.brand)[0] == ("W1", "", "矿泉水 550ml", "water", "件", 6, 12, "vat13", "active")

    def test_a_sheet_with_only_some_columns_updates_only_those(self, stocked):
        content = xlsx(["商品编码", "状态"], ["W1", "已退市"], ["W2", "discontinued"])
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        assert (report.ok, report.updated) == (True, 2)
        assert [(row[0], row[2], row[8]) for row in products(stocked.brand)] == [
            ("W1", "矿泉水 550ml", "discontinued"),
            ("W2", "苏打水", "discontinued"),
        ]

    def test_every_bad_row_is_reported_and_nothing_is_written(self, stocked):
        # given: one good row among rows of every kind of fault
        before, versions, audits = products(stocked.brand), version(stocked.brand), product_audits(stocked.brand)
        content = xlsx(
            HEADER,
            ["OK1", "", "好商品", "water", "件", 1, 1, "13%", "在售"],  # 2: good
            [None, "", "无编码", "water", "件", 1, 1, "13%", "在售"],  # 3
            ["N1", "", "未知类目", "nope", "件", 1, 1, "13%", "在售"],  # 4
            ["N2", "", "坏箱规", "water", "件", 0, "abc", "13%", "在售"],  # 5
            ["N3", "", "坏税目", "water", "件", 1, 1, "15%", "卖光了"],  # 6
            ["N4", "", "起订量不整箱", "water", "件", 6, 8, "9%", "在售"],  # 7
            ["OK1", "", "重复", "water", "件", 1, 1, "13%", "在售"],  # 8
            ["N5", "", None, None, "件", 1, 1, "13%", "在售"],  # 9
            ["X" * 65, "1" * 33, "长", "water", "件", 1, 1, "13%", "在售"],  # 10
            ["W1", "", "", "", "", 5, None, "", ""],  # 11: W1's minimum 12 is no multiple of 5
            [],  # 12: an empty row is skipped
            ["N6", "", "小数箱规", "water", "件", 1.5, 3, True, "在售"],  # 13
        )
        # when
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        # then
        assert not report.ok
        assert report.errors == [
            RowError(3, "商品编码", "SKU is required"),
            RowError(4, "类目编码", "unknown category code 'nope'"),
            RowError(5, "箱规", "must be a whole number from 1 to 100000"),
            RowError(5, "起订量", "must be a whole number from 1 to 1000000"),
            RowError(6, "税目", "must be 13%, 9%, 6% or 0% (or vat13, vat9, vat6, vat0)"),
            RowError(6, "状态", "must be 在售, 停售 or 已退市 (or active, inactive, discontinued)"),
            RowError(7, "起订量", "the minimum order quantity 8 must be a multiple of the pack size 6"),
            RowError(8, "商品编码", "SKU 'OK1' is also on row 2"),
            RowError(9, "名称", "name is required for a new product"),
            RowError(9, "类目编码", "category is required for a new product"),
            RowError(10, "商品编码", "is longer than 64 characters"),
            RowError(10, "条形码", "is longer than 32 characters"),
            RowError(11, "起订量", "the minimum order quantity 12 must be a multiple of the pack size 5"),
            RowError(13, "箱规", "must be a whole number from 1 to 100000"),
            RowError(13, "税目", "must be 13%, 9%, 6% or 0% (or vat13, vat9, vat6, vat0)"),
        ]
        assert products(stocked.brand) == before
        assert (version(stocked.brand), product_audits(stocked.brand)) == (versions, audits)

    def test_unknown_duplicate_and_missing_headers_are_named(self, stocked):
        report = import_products(
            actor=stocked.actor,
            brand_id=stocked.brand.id,
            file=xlsx(["名称", "颜色", "name"], ["a", "红", "b"]),
        )
        assert [(e.row, e.column) for e in report.errors] == [(1, "颜色"), (1, "name"), (1, "商品编码")]
        assert report.errors[1].message == "the same column as '名称'"
        assert report.errors[2].message == "the sheet needs a 商品编码 (SKU) column"
        assert products(stocked.brand)[0][2] == "矿泉水 550ml"

    def test_rows_are_numbered_as_excel_shows_them_below_a_title_and_a_gap(self, stocked):
        content = xlsx([], ["商品编码", "类目编码"], [], [], ["W1", "nope"])
        report = import_products(actor=stocked.actor, brand_id=stocked.brand.id, file=content)
        assert report.errors == [RowError(5, "类目编码", "unknown category code 'nope'")]

    def test_an_empty_sheet(self, shop):
        report = import_products(actor=shop.actor, brand_id=shop.brand.id, file=xlsx())
        assert report.errors == [RowError(1, "商品编码", "the sheet is empty")]


class TestBadFiles:
    @pytest.mark.parametrize(
        "content",
        [
            b"sku,name\nW1,water\n",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,  # an old .xls (OLE2)
            b"",
        ],
        ids=["csv", "xls", "empty"],
    )
    def test_a_file_that_is_not_xlsx_is_refused_clearly(self, shop, content):
        with pytest.raises(ValidationFailed) as refused:
            import_products(actor=shop.actor, brand_id=shop.brand.id, file=content)
        assert (refused.value.code, refused.value.field) == ("invalid_file", "file")
        assert "not an Excel workbook (.xlsx)" in refused.value.message

    def test_a_zip_that_is_not_a_workbook_is_refused(self, shop):
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        with pytest.raises(ValidationFailed) as refused:
            import_products(actor=shop.actor, brand_id=shop.brand.id, file=buffer.getvalue())
        assert refused.value.code == "invalid_file"

    def test_limits_on_size_and_rows(self, shop, monkeypatch):
        with pytest.raises(ValidationFailed) as refused:
            import_products(actor=shop.actor, brand_id=shop.brand.id, file=b"PK" + b"\0" * excel.MAX_BYTES)
        assert refused.value.code == "file_too_large"
        monkeypatch.setattr(excel, "MAX_ROWS", 2)
        rows = [["SKU", "name", "category"]] + [[f"S{i}", "x", "water"] for i in range(3)]
        with pytest.raises(ValidationFailed) as refused:
            import_products(actor=shop.actor, brand_id=shop.brand.id, file=xlsx(*rows))
        assert (refused.value.code, refused.value.message) == ("too_many_rows", "the sheet has more than 2 rows")
        see_all_brands()
        assert not Product.objects.exists()


class TestWhoMay:
    def test_another_brands_admin_can_neither_import_nor_export(self, stocked):
        outsider = actor_of(user_with_role("brand_admin", BrandFactory()))
        content = xlsx(HEADER, ["W1", "", "改名", "water", "件", 6, 12, "13%", "在售"])
        with pytest.raises(NotFound):
            import_products(actor=outsider, brand_id=stocked.brand.id, file=content)
        with pytest.raises(NotFound):
            export_products(actor=outsider, brand_id=stocked.brand.id)
        # and without a brand id it imports into its own brand, where the category is unknown
        report = import_products(actor=outsider, brand_id=None, file=content)
        assert report.errors == [RowError(2, "类目编码", "unknown category code 'water'")]
        assert products(stocked.brand)[0][2] == "矿泉水 550ml"

    def test_a_distributor_user_can_neither_import_nor_export(self, stocked):
        account = AccountFactory(brand=stocked.brand)
        own = actor_of(distributor_user(account))
        with pytest.raises(Forbidden):
            import_products(actor=own, brand_id=stocked.brand.id, file=b"not even a workbook")
        with pytest.raises(Forbidden):
            export_products(actor=own, brand_id=stocked.brand.id)

    def test_a_region_manager_may_export_but_not_import(self, stocked):
        manager = actor_of(user_with_role("region_manager", stocked.brand))
        assert len(rows_of(export_products(actor=manager, brand_id=stocked.brand.id))) == 3
        with pytest.raises(Forbidden):
            import_products(actor=manager, brand_id=stocked.brand.id, file=xlsx(HEADER))


class TestPriceSheet:
    @pytest.fixture
    def priced(self, stocked):
        stocked.product("W3", name="茶饮料", pack_size=12, tax_category="vat6")
        stocked.product("W4", name="无价", unit="瓶")
        stocked.allow(stocked.root)
        stocked.price_list("base", prices=[("W1", "2.5"), ("W3", "3.1234")])
        stocked.price_list("b", kind="grade", grade="B", prices=[("W1", "2.4"), ("W1", "2.2", 120)])
        return stocked

    def test_the_sheet_lists_what_the_distributor_may_order_with_prices_and_notes(self, priced):
        # given
        account = AccountFactory(brand=priced.brand, code="D-JS-01", name="南京经销商", territory=["320000"])
        buyer = priced.buyer(distributor_id=account.id)
        at = datetime(2026, 5, 1, 2, 30, tzinfo=ZoneInfo("UTC"))
        # when
        content = price_sheet_xlsx(buyer, at=at)
        # then
        sheet = load_workbook(BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == f"{priced.brand.name} 价格表 · D-JS-01 南京经销商 · 2026-05-01 10:30 (UTC+0800)"
        assert rows[1] == tuple(excel.PRICE_SHEET_HEADERS)
        assert rows[2:] == [
            ("W1", "矿泉水 550ml", "件", 12, "13%", "b", 2.4, 28.8, None),
            ("W3", "茶饮料", "件", 12, "6%", "base", 3.1234, 37.48, None),
            ("W4", "无价", "瓶", 1, "13%", None, None, None, rows[4][8]),
        ]  # W2 is not on sale
        assert rows[4][8].startswith("no price list in force prices ")
        assert (sheet["G3"].number_format, sheet["H3"].number_format) == ("0.0000", "0.00")
        assert sheet["A2"].font.bold and sheet["I2"].font.bold
        assert sheet.freeze_panes == "A3"

    def test_amounts_match_the_price_engine(self, priced):
        from channelhub.catalog.pricing import price_sheet

        buyer = priced.buyer(grade="A")
        lines = price_sheet(buyer)
        rows = rows_of(price_sheet_xlsx(buyer))[2:]
        assert [(r[0], r[6], r[7]) for r in rows] == [
            (line.sku, float(line.unit_price) if line.ok else None, float(line.amount) if line.ok else None)
            for line in lines
        ]
        assert rows[0][6] == float(Decimal("2.5"))


class TestApi:
    @pytest.fixture
    def admin(self, api, stocked):
        return api(user_with_role("brand_admin", stocked.brand))

    def upload(self, client, content, name="products.xlsx", **form):
        file = SimpleUploadedFile(name, content, content_type=excel.XLSX_TYPE)
        return client.client.post("/api/v1/catalog/products/import", {"file": file, **form}, **client.headers)

    def test_import_answers_the_counts(self, admin, stocked):
        content = xlsx(HEADER, ["W1", "", "改名", "water", "件", 6, 12, "13%", "在售"], ["W9", "", "新", "water"])
        response = self.upload(admin, content, brand_id=stocked.brand.id)
        assert response.status_code == 200, response.content
        assert response.json() == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0}
        assert [p[0] for p in products(stocked.brand)] == ["W1", "W2", "W9"]

    def test_a_bad_import_answers_422_with_every_bad_row(self, admin, stocked):
        content = xlsx(HEADER, ["W8", "", "新", "nope"], ["W9", "", "新", "water", "件", -1])
        response = self.upload(admin, content)
        assert response.status_code == 422
        assert response.json() == {
            "code": "import_failed",
            "message": "2 row(s) have errors; nothing was imported",
            "field": "file",
            "rows": [
                {"row": 2, "column": "类目编码", "message": "unknown category code 'nope'"},
                {"row": 3, "column": "箱规", "message": "must be a whole number from 1 to 100000"},
            ],
        }
        assert [p[0] for p in products(stocked.brand)] == ["W1", "W2"]

    def test_a_file_that_is_not_xlsx_or_no_file(self, admin):
        response = self.upload(admin, b"sku,name\n", name="products.csv")
        assert response.status_code == 422
        assert (response.json()["code"], response.json()["field"]) == ("invalid_file", "file")
        missing = admin.client.post("/api/v1/catalog/products/import", {}, **admin.headers)
        assert (missing.status_code, missing.json()["field"]) == (422, "file")

    def test_a_distributor_user_cannot_import_and_an_outsider_gets_404(self, api, stocked):
        own = api(distributor_user(AccountFactory(brand=stocked.brand)))
        content = xlsx(HEADER, ["W1", "", "改名", "water"])
        assert self.upload(own, content, brand_id=stocked.brand.id).status_code == 403
        outsider = api(user_with_role("brand_admin", BrandFactory()))
        assert self.upload(outsider, content, brand_id=stocked.brand.id).status_code == 404
        assert outsider.get("/catalog/products/export", brand_id=stocked.brand.id).status_code == 404
        assert products(stocked.brand)[0][2] == "矿泉水 550ml"

    def test_export_is_an_attachment_that_imports_back(self, admin, stocked):
        response = admin.get("/catalog/products/export", brand_id=stocked.brand.id)
        assert response.status_code == 200
        assert response["Content-Type"] == excel.XLSX_TYPE
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="products-{stocked.brand.id}-')
        assert "filename*=UTF-8''" + "%E5%93%81%E7%89%8C" in disposition  # 品牌
        assert disposition.isascii()
        again = self.upload(admin, response.content)
        assert again.json() == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2}

    def test_price_sheet_for_the_distributors_own_users_and_the_brand(self, api, admin, stocked):
        stocked.allow(stocked.root)
        stocked.price_list("base", prices=[("W1", "2.5")])
        account = AccountFactory(brand=stocked.brand, code="D1", name="南京经销商", territory=["320000"])
        response = admin.get("/catalog/price-sheet", distributor_id=account.id)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="price-sheet-D1-')
        sheet = rows_of(response.content)
        assert sheet[0][0].startswith(f"{stocked.brand.name} 价格表 · D1 南京经销商 · ")
        assert sheet[2][:3] == ("W1", "矿泉水 550ml", "件")
        own = api(distributor_user(account))
        assert own.get("/catalog/price-sheet", distributor_id=account.id).status_code == 200
        stranger = AccountFactory(brand=stocked.brand)
        assert own.get("/catalog/price-sheet", distributor_id=stranger.id).status_code == 404
        outsider = api(user_with_role("brand_admin", BrandFactory()))
        assert outsider.get("/catalog/price-sheet", distributor_id=account.id).status_code == 404
