"""What each demo brand sells: category trees, the main range of SKUs, region rules, price lists
and promotions, as data. :mod:`channelhub.demo.catalog` inserts them.

VAT follows the Chinese VAT law: drinks and appliances 13 %; fertilizer, seeds, pesticides and
mulch film are agricultural inputs at 9 %.
"""

from dataclasses import dataclass
from decimal import Decimal

from channelhub.catalog.models import Product

VAT13, VAT9 = Product.TaxCategory.STANDARD, Product.TaxCategory.REDUCED
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    """One SKU of a brand's main range; ``leaf`` is its category code."""

    leaf: str
    name: str
    price: str
    unit: str
    pack_size: int = 1
    min_order_qty: int = 1
    vat: str = VAT13


@dataclass(frozen=True)
class RegionList:
    """A region (or region + grade) list: ``where`` is a division code or a sales region code."""

    code: str
    name: str
    where: str
    factor: str
    leaves: tuple[str, ...] = ()  # empty: the whole main range
    grade: str = ""


@dataclass(frozen=True)
class Promo:
    """A promotion of the demo; products are named as (leaf, position in the leaf)."""

    code: str
    name: str
    mechanic: str
    params: dict
    categories: tuple[str, ...] = ()
    products: tuple[tuple[str, int], ...] = ()
    leaves: tuple[str, ...] = ()  # every product of these leaves, by id
    gift: tuple[str, int] | None = None
    stackable: bool = False
    sequence: int = 100
    grades: tuple[str, ...] = ()
    sales_regions: tuple[str, ...] = ()
    budget_amount: str | None = None
    budget_quantity: int | None = None


@dataclass(frozen=True)
class Plan:
    """What one brand's catalogue holds."""

    prefix: str  # SKU prefix
    company: str  # seven digits of the GS1 China company prefix (690-699) for barcodes
    tree: list[tuple[str, str, list[tuple[str, str, str]]]]  # (code, name, [(leaf code, name, SKU part)])
    items: list[Item]
    breaks: tuple[int, int]  # quantity breaks of the base list (main range)
    bans: list[tuple[str, str, str, str]]  # (leaf or item name, division, allow|forbid, note)
    only_in: list[tuple[str, tuple[str, ...], str]]  # (item name, provinces, note): forbidden elsewhere
    regions: list[RegionList]
    promotions: list[Promo]
    long_tail: bool = False


def _drinks() -> list[Item]:
    table = [
        ("mineral_water", ["天然矿泉水"], [("350ml×24瓶", "26.40"), ("550ml×24瓶", "31.20"), ("1.5L×12瓶", "33.60")]),
        ("purified_water", ["饮用纯净水"], [("380ml×24瓶", "19.20"), ("555ml×24瓶", "21.60"), ("1.25L×12瓶", "22.80")]),
        (
            "soda_water",
            ["原味苏打水", "柠檬味苏打水", "白桃味苏打水"],
            [("410ml×15瓶", "45.00"), ("500ml×24瓶", "60.00")],
        ),
        ("green_tea", ["茉莉绿茶", "蜂蜜绿茶", "无糖绿茶"], [("500ml×15瓶", "46.50"), ("900ml×12瓶", "60.00")]),
        ("black_tea", ["冰红茶", "柠檬红茶"], [("500ml×15瓶", "45.00"), ("1L×12瓶", "57.60")]),
        ("oolong_tea", ["无糖乌龙茶", "蜜桃乌龙茶"], [("500ml×15瓶", "52.50")]),
        ("orange_juice", ["鲜橙多", "100%橙汁"], [("450ml×15瓶", "48.00"), ("1.5L×6瓶", "54.00")]),
        ("apple_juice", ["苹果汁", "100%苹果汁"], [("450ml×15瓶", "46.50"), ("1L×12瓶", "78.00")]),
        ("veg_juice", ["胡萝卜复合果蔬汁", "番茄复合果蔬汁"], [("300ml×24瓶", "72.00")]),
        ("cola", ["可乐", "无糖可乐"], [("330ml×24罐", "50.40"), ("500ml×24瓶", "57.60"), ("2L×6瓶", "39.00")]),
        ("lemon_soda", ["柠檬味汽水", "青柠味汽水"], [("330ml×24罐", "45.60"), ("500ml×24瓶", "52.80")]),
        ("sports_drink", ["电解质水", "运动饮料"], [("600ml×15瓶", "67.50")]),
        ("energy_drink", ["牛磺酸能量饮料"], [("250ml×24罐", "96.00"), ("500ml×15瓶", "82.50")]),
    ]
    items = []
    for leaf, flavours, specs in table:
        for n, flavour in enumerate(flavours):
            for spec, price in specs:
                price = str((Decimal(price) * (1 + Decimal(n) / 20)).quantize(CENT))
                items.append(Item(leaf, f"清泉{flavour} {spec}", price, "箱", min_order_qty=10))
    items += [
        Item("oolong_tea", "清泉桂花乌龙茶（江苏限定） 500ml×15瓶", "56.00", "箱", min_order_qty=10),
        Item("mineral_water", "清泉天然矿泉水 5L", "9.80", "瓶", pack_size=4, min_order_qty=40),
        Item("purified_water", "清泉饮用纯净水 4.5L", "6.50", "瓶", pack_size=6, min_order_qty=60),
    ]
    return items


def _appliances() -> list[Item]:
    table = [
        (
            "rice_cooker",
            [("IH电饭煲 3L JL-FB30", "329"), ("IH电饭煲 4L JL-FB40", "399"), ("智能电饭煲 5L JL-FC50", "269")],
        ),
        ("range_hood", [("侧吸式油烟机 JL-CXW-220", "1599"), ("顶吸式油烟机 JL-CXW-260", "2199")]),
        ("microwave", [("变频微波炉 20L JL-M20", "459"), ("微蒸烤一体机 25L JL-MS25", "1299")]),
        (
            "split_ac",
            [
                ("1匹 新一级能效 变频挂机 JL-26GW", "2299"),
                ("1.5匹 新一级能效 变频挂机 JL-35GW", "2799"),
                ("新风空调 1.5匹 JL-35XF（广东首发）", "3599"),
            ],
        ),
        ("cabinet_ac", [("2匹 变频柜机 JL-51LW", "4999"), ("3匹 变频柜机 JL-72LW", "6299")]),
        ("drum_washer", [("10公斤 滚筒洗衣机 JL-G100", "1899"), ("10公斤 洗烘一体机 JL-HG100", "2699")]),
        ("top_washer", [("8公斤 波轮洗衣机 JL-B80", "899"), ("10公斤 直驱波轮洗衣机 JL-B100D", "1299")]),
        ("electric_heater", [("60升 电热水器 JL-D60", "1099"), ("80升 速热电热水器 JL-D80S", "1499")]),
        ("gas_heater", [("13升 燃气热水器 JL-13QH", "1599"), ("16升 零冷水燃气热水器 JL-16QL", "2499")]),
    ]
    return [Item(leaf, f"佳乐 {name}", price, "台") for leaf, models in table for name, price in models]


def _agri_inputs() -> list[Item]:
    bag = {"unit": "袋", "min_order_qty": 20, "vat": VAT9}
    bottle = {"unit": "瓶", "pack_size": 20, "min_order_qty": 20, "vat": VAT9}
    seed = {"unit": "袋", "min_order_qty": 10, "vat": VAT9}
    return [
        Item("compound_fertilizer", "绿野 硫酸钾型复合肥 15-15-15 50kg", "168.00", **bag),
        Item("compound_fertilizer", "绿野 高塔复合肥 17-17-17 40kg", "152.00", **bag),
        Item("compound_fertilizer", "绿野 控释掺混肥 26-10-12 40kg", "176.00", **bag),
        Item("urea", "绿野 大颗粒尿素 N46% 40kg", "118.00", **bag),
        Item("organic_fertilizer", "绿野 生物有机肥 40kg", "45.00", **bag),
        Item("organic_fertilizer", "绿野 羊粪有机肥 40kg", "32.00", **bag),
        Item("foliar_fertilizer", "绿野 磷酸二氢钾叶面肥 1kg", "18.00", **bottle),
        Item("foliar_fertilizer", "绿野 氨基酸水溶肥 1L", "25.00", **bottle),
        Item("corn_seed", "绿野玉单8号 玉米种子 2.5kg", "85.00", **seed),
        Item("corn_seed", "绿野玉单11号 玉米种子 2.5kg", "68.00", **seed),
        Item("rice_seed", "五优稻4号 水稻种子 5kg", "95.00", **seed),
        Item("rice_seed", "绿野粳3号 水稻种子 5kg", "78.00", **seed),
        Item("vegetable_seed", "绿野 番茄种子 粉冠1号 10g", "12.00", "袋", 10, 50, VAT9),
        Item("vegetable_seed", "绿野 黄瓜种子 翠绿2号 20g", "8.00", "袋", 10, 50, VAT9),
        Item("herbicide", "绿野 草铵膦 200g/L 水剂 1L", "38.00", **bottle),
        Item("herbicide", "绿野 烟嘧磺隆 40g/L 悬浮剂 500ml", "22.00", **bottle),
        Item("insecticide", "绿野 高效氯氟氰菊酯 2.5% 乳油 500ml", "16.00", **bottle),
        Item("insecticide", "绿野 阿维菌素 1.8% 乳油 500ml", "14.00", **bottle),
        Item("mulch_film", "绿野 聚乙烯地膜 0.01mm×120cm×500m", "86.00", "卷", 1, 10, VAT9),
    ]


def _tiers(*pairs: tuple[int, int]) -> dict:
    return {"tiers": [{"min_amount": str(low), "off": str(off)} for low, off in pairs]}


PLANS = {
    "qingquan": Plan(
        prefix="QQ",
        company="6937215",
        tree=[
            (
                "water",
                "包装饮用水",
                [
                    ("mineral_water", "天然矿泉水", "MW"),
                    ("purified_water", "饮用纯净水", "PW"),
                    ("soda_water", "苏打水", "SW"),
                ],
            ),
            (
                "tea",
                "茶饮料",
                [("green_tea", "绿茶", "GT"), ("black_tea", "红茶", "BT"), ("oolong_tea", "乌龙茶", "OT")],
            ),
            (
                "juice",
                "果汁饮料",
                [("orange_juice", "橙汁", "OJ"), ("apple_juice", "苹果汁", "AJ"), ("veg_juice", "复合果蔬汁", "VJ")],
            ),
            ("carbonated", "碳酸饮料", [("cola", "可乐", "CL"), ("lemon_soda", "柠檬味汽水", "LS")]),
            ("functional", "功能饮料", [("sports_drink", "运动饮料", "SD"), ("energy_drink", "能量饮料", "ED")]),
        ],
        items=_drinks(),
        breaks=(100, 500),
        bans=[
            ("清泉牛磺酸能量饮料 250ml×24罐", "650000", "forbid", "新疆市场未完成备案"),
            ("carbonated", "540000", "forbid", "高原运输胀罐风险"),
            ("carbonated", "540100", "allow", "拉萨前置仓可供货"),
        ],
        only_in=[("清泉桂花乌龙茶（江苏限定） 500ml×15瓶", ("320000",), "江苏区域限定")],
        regions=[
            RegionList("region-xj", "新疆区域价（含运费）", "650000", "1.08"),
            RegionList("region-js", "江苏区域价", "320000", "0.98", ("mineral_water", "purified_water")),
            RegionList("region-suzhou", "苏州市区域价", "320500", "0.97", ("green_tea", "black_tea")),
            RegionList("region-kunshan", "昆山市区域价", "320583", "0.96", ("green_tea",)),
            RegionList("region-east-a", "华东大区A级价", "east", "0.90", ("cola", "lemon_soda"), grade="A"),
        ],
        promotions=[
            Promo(
                "spring-10off",
                "春节备货 茶饮果汁9折",
                "percent_off",
                {"percent": "10"},
                categories=("tea", "juice"),
                stackable=True,
                sequence=10,
            ),
            Promo(
                "water-threshold",
                "华东饮用水满减（满3000减100/满8000减300/满20000减1000）",
                "threshold",
                _tiers((3000, 100), (8000, 300), (20000, 1000)),
                categories=("water",),
                stackable=True,
                sequence=20,
                sales_regions=("east",),
            ),
            Promo(
                "tea-gift",
                "绿茶买十赠一（赠550ml矿泉水）",
                "buy_x_get_y",
                {"buy": 10, "get": 1},
                leaves=("green_tea",),
                gift=("mineral_water", 1),
                budget_quantity=2000,
            ),
            Promo(
                "cola-special",
                "可乐330ml特价 每箱44元",
                "special_price",
                {"price": "44.00"},
                products=(("cola", 0),),
                grades=("A", "B"),
            ),
            Promo(
                "juice-budget",
                "果汁每箱立减2元（限额5万元）",
                "amount_off",
                {"amount": "2.00"},
                categories=("juice",),
                stackable=True,
                sequence=30,
                budget_amount="50000.00",
            ),
        ],
        long_tail=True,
    ),
    "jiale": Plan(
        prefix="JL",
        company="6938041",
        tree=[
            (
                "kitchen",
                "厨房电器",
                [("rice_cooker", "电饭煲", "RC"), ("range_hood", "油烟机", "RH"), ("microwave", "微波炉", "MO")],
            ),
            ("air_conditioning", "空调", [("split_ac", "挂壁式空调", "AC"), ("cabinet_ac", "柜式空调", "CA")]),
            ("laundry", "洗衣机", [("drum_washer", "滚筒洗衣机", "WD"), ("top_washer", "波轮洗衣机", "WT")]),
            ("water_heater", "热水器", [("electric_heater", "电热水器", "EW"), ("gas_heater", "燃气热水器", "GW")]),
        ],
        items=_appliances(),
        breaks=(20, 100),
        bans=[
            ("gas_heater", "540000", "forbid", "高海拔地区需专用燃气机型"),
            ("gas_heater", "630000", "forbid", "高海拔地区需专用燃气机型"),
        ],
        only_in=[("佳乐 新风空调 1.5匹 JL-35XF（广东首发）", ("440000",), "广东首发新品")],
        regions=[
            RegionList("region-gd", "广东区域价", "440000", "0.97"),
            RegionList("region-shenzhen", "深圳市区域价", "440300", "0.95", ("split_ac", "cabinet_ac")),
            RegionList("region-nanshan", "南山区区域价", "440305", "0.94", ("split_ac",)),
            RegionList("region-xz", "西藏区域价（含运费）", "540000", "1.10"),
            RegionList("region-south-a", "华南大区A级价", "south", "0.93", ("drum_washer",), grade="A"),
        ],
        promotions=[
            Promo(
                "spring-10off",
                "春节焕新 厨房电器9折",
                "percent_off",
                {"percent": "10"},
                categories=("kitchen",),
                stackable=True,
                sequence=10,
            ),
            Promo(
                "ac-threshold",
                "空调满减（满2万减600/满5万减2000）",
                "threshold",
                _tiers((20000, 600), (50000, 2000)),
                categories=("air_conditioning",),
                stackable=True,
                sequence=20,
            ),
            Promo(
                "washer-gift",
                "滚筒洗衣机买五赠一（赠电饭煲）",
                "buy_x_get_y",
                {"buy": 5, "get": 1},
                leaves=("drum_washer",),
                gift=("rice_cooker", 2),
                budget_quantity=300,
            ),
            Promo(
                "heater-special",
                "电热水器60升特价 每台999元",
                "special_price",
                {"price": "999.00"},
                products=(("electric_heater", 0),),
            ),
            Promo(
                "hood-budget",
                "油烟机每台立减100元（限额10万元）",
                "amount_off",
                {"amount": "100.00"},
                leaves=("range_hood",),
                stackable=True,
                sequence=30,
                budget_amount="100000.00",
            ),
        ],
    ),
    "lvye": Plan(
        prefix="LY",
        company="6939376",
        tree=[
            (
                "fertilizer",
                "化肥",
                [
                    ("compound_fertilizer", "复合肥", "CF"),
                    ("urea", "尿素", "UR"),
                    ("organic_fertilizer", "有机肥", "OF"),
                    ("foliar_fertilizer", "叶面肥", "FF"),
                ],
            ),
            (
                "seeds",
                "种子",
                [
                    ("corn_seed", "玉米种子", "CS"),
                    ("rice_seed", "水稻种子", "RS"),
                    ("vegetable_seed", "蔬菜种子", "VS"),
                ],
            ),
            ("crop_protection", "植保", [("herbicide", "除草剂", "HB"), ("insecticide", "杀虫剂", "IN")]),
            ("agri_film", "农膜", [("mulch_film", "地膜", "MF")]),
        ],
        items=_agri_inputs(),
        breaks=(200, 1000),
        bans=[("绿野 草铵膦 200g/L 水剂 1L", "460000", "forbid", "海南省禁限用农药目录")],
        only_in=[
            ("绿野玉单8号 玉米种子 2.5kg", ("230000", "220000", "210000"), "品种审定区域：东北春玉米区"),
            ("五优稻4号 水稻种子 5kg", ("230000",), "品种审定区域：黑龙江"),
        ],
        regions=[
            RegionList("region-hlj", "黑龙江区域价", "230000", "0.97", ("corn_seed", "rice_seed")),
            RegionList("region-harbin", "哈尔滨市区域价", "230100", "0.96", ("compound_fertilizer", "urea")),
            RegionList("region-wuchang", "五常市区域价", "230184", "0.94", ("rice_seed",)),
            RegionList("region-sd-a", "山东A级区域价", "370000", "0.93", ("compound_fertilizer",), grade="A"),
        ],
        promotions=[
            Promo(
                "spring-10off",
                "春耕备肥 复合肥9折",
                "percent_off",
                {"percent": "10"},
                categories=("fertilizer",),
                stackable=True,
                sequence=10,
            ),
            Promo(
                "seed-threshold",
                "种子满减（满5000减150/满20000减800）",
                "threshold",
                _tiers((5000, 150), (20000, 800)),
                categories=("seeds",),
                stackable=True,
                sequence=20,
            ),
            Promo(
                "urea-gift",
                "尿素买五十赠二（赠叶面肥）",
                "buy_x_get_y",
                {"buy": 50, "get": 2},
                leaves=("urea",),
                gift=("foliar_fertilizer", 0),
                budget_quantity=5000,
            ),
            Promo(
                "organic-special",
                "生物有机肥特价 每袋39元",
                "special_price",
                {"price": "39.00"},
                products=(("organic_fertilizer", 0),),
            ),
            Promo(
                "protection-budget",
                "植保每瓶立减1元（限额3万元）",
                "amount_off",
                {"amount": "1.00"},
                categories=("crop_protection",),
                stackable=True,
                sequence=30,
                budget_amount="30000.00",
            ),
        ],
    ),
}
