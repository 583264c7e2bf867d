"""Derive the region seeds (provinces, cities, region aliases) from the reference data.

Sources: GB/T 2260 / NBS 2023 statistical division codes (data/divisions/, from the public
repository modood/Administrative-divisions-of-China) and the 2020 (seventh) national census
(data/population/). Run once when the reference data changes; the CSVs are committed:

    .venv/bin/python scripts/build_reference_seeds.py --data-dir /work/shared/data
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parents[1] / "seeds" / "reference"

# Short name, one-character abbreviation(s) and English name per province-level division.
PROVINCE_NAMES: dict[str, tuple[str, str, str, str]] = {
    "110000": ("北京", "京", "", "Beijing"),
    "120000": ("天津", "津", "", "Tianjin"),
    "130000": ("河北", "冀", "", "Hebei"),
    "140000": ("山西", "晋", "", "Shanxi"),
    "150000": ("内蒙古", "蒙", "", "Inner Mongolia"),
    "210000": ("辽宁", "辽", "", "Liaoning"),
    "220000": ("吉林", "吉", "", "Jilin"),
    "230000": ("黑龙江", "黑", "", "Heilongjiang"),
    "310000": ("上海", "沪", "申", "Shanghai"),
    "320000": ("江苏", "苏", "", "Jiangsu"),
    "330000": ("浙江", "浙", "", "Zhejiang"),
    "340000": ("安徽", "皖", "", "Anhui"),
    "350000": ("福建", "闽", "", "Fujian"),
    "360000": ("江西", "赣", "", "Jiangxi"),
    "370000": ("山东", "鲁", "", "Shandong"),
    "410000": ("河南", "豫", "", "Henan"),
    "420000": ("湖北", "鄂", "", "Hubei"),
    "430000": ("湖南", "湘", "", "Hunan"),
    "440000": ("广东", "粤", "", "Guangdong"),
    "450000": ("广西", "桂", "", "Guangxi"),
    "460000": ("海南", "琼", "", "Hainan"),
    "500000": ("重庆", "渝", "", "Chongqing"),
    "510000": ("四川", "川", "蜀", "Sichuan"),
    "520000": ("贵州", "贵", "黔", "Guizhou"),
    "530000": ("云南", "云", "滇", "Yunnan"),
    "540000": ("西藏", "藏", "", "Tibet"),
    "610000": ("陕西", "陕", "秦", "Shaanxi"),
    "620000": ("甘肃", "甘", "陇", "Gansu"),
    "630000": ("青海", "青", "", "Qinghai"),
    "640000": ("宁夏", "宁", "", "Ningxia"),
    "650000": ("新疆", "新", "", "Xinjiang"),
    "810000": ("香港", "港", "", "Hong Kong"),
    "820000": ("澳门", "澳", "", "Macau"),
    "710000": ("台湾", "台", "", "Taiwan"),
}
NON_MAINLAND = {
    "810000": "香港特别行政区",
    "820000": "澳门特别行政区",
    "710000": "台湾省",
}
# Extra spellings that resolve to one province (colloquial or older forms).
EXTRA_PROVINCE_ALIASES: list[tuple[str, str, str]] = [
    ("内蒙", "150000", "short_name"),
    ("xizang", "540000", "english"),
    ("inner mongolia", "150000", "english"),
    ("nei mongol", "150000", "english"),
    ("macao", "820000", "english"),
    ("hongkong", "810000", "english"),
    # The Pearl River Delta lies wholly inside Guangdong (SPEC: multi = several provinces).
    ("珠三角", "440000", "region_group"),
    ("珠江三角洲", "440000", "region_group"),
    ("潮汕", "440000", "region_group"),
    ("苏南", "320000", "region_group"),
    ("苏北", "320000", "region_group"),
    ("胶东", "370000", "region_group"),
]
# Named groups of several provinces: region_code `multi`.
MULTI_ALIASES = [
    "江浙沪",
    "江浙沪皖",
    "江浙皖沪",
    "苏浙沪",
    "长三角",
    "长江三角洲",
    "京津冀",
    "京津",
    "东北三省",
    "东三省",
    "东北",
    "华东",
    "华南",
    "华北",
    "华中",
    "西南",
    "西北",
    "两广",
    "川渝",
    "港澳",
    "港澳台",
    "大湾区",
    "粤港澳",
    "沿海",
    "北上广",
    "北上广深",
    "闽粤",
    "江浙",
    "苏浙",
    "多省",
    "多地",
]
# Terms meaning "anywhere in the country": region_code `national`.
NATIONAL_ALIASES = [
    "全国",
    "全国各地",
    "全国通用",
    "全国范围",
    "各省",
    "各地",
    "不限",
    "不限地区",
    "地区不限",
    "全中国",
    "中国",
    "nationwide",
    "all china",
    "china",
]
ETHNIC_SUFFIX = re.compile(
    r"(朝鲜族|土家族|苗族|藏族|羌族|彝族|哈尼族|壮族|布依族|侗族|傣族|景颇族|傈僳族|白族|回族|蒙古族|蒙古|哈萨克|柯尔克孜)+自治州$"
)


def city_short_name(name: str) -> str:
    short = ETHNIC_SUFFIX.sub("", name)
    for suffix in ("自治州", "地区", "盟", "市"):
        if short.endswith(suffix) and len(short) > len(suffix) + 1:
            short = short[: -len(suffix)]
            break
    return short


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build(data_dir: Path) -> None:
    divisions = data_dir / "divisions"
    population = data_dir / "population"
    province_pop = {
        r["province_code"]: r["population_2020"]
        for r in read_csv(population / "province_population_2020.csv")
    }
    city_pop = {
        r["city_code"]: r["population_2020"] for r in read_csv(population / "city_population_2020.csv")
    }

    provinces: list[list[object]] = []
    full_names: dict[str, str] = {}
    for row in read_csv(divisions / "provinces.csv"):
        full_names[f"{int(row['code']):02d}0000"] = row["name"]
    full_names.update(NON_MAINLAND)
    for code, (short, abbr, alt_abbr, english) in PROVINCE_NAMES.items():
        provinces.append(
            [
                code,
                full_names[code],
                short,
                abbr,
                alt_abbr,
                english,
                code not in NON_MAINLAND,
                province_pop.get(code, ""),
            ]
        )
    provinces.sort(key=lambda r: r[0])
    write_csv(
        SEED_DIR / "provinces.csv",
        [
            "region_code",
            "name_zh",
            "short_name_zh",
            "abbreviation",
            "alt_abbreviation",
            "name_en",
            "is_mainland",
            "population_2020",
        ],
        provinces,
    )

    cities: list[list[object]] = []
    for row in read_csv(divisions / "cities.csv"):
        name = row["name"]
        if name in {"市辖区", "县"} or "直辖县级" in name:
            continue  # municipalities and province-administered counties: no prefecture city
        code = f"{int(row['code']):04d}00"
        region = f"{int(row['provinceCode']):02d}0000"
        cities.append([code, region, name, city_short_name(name), city_pop.get(code, "")])
    cities.sort(key=lambda r: r[0])
    write_csv(
        SEED_DIR / "cities.csv",
        ["city_code", "region_code", "name_zh", "short_name_zh", "population_2020"],
        cities,
    )

    province_aliases: dict[str, str] = {}
    aliases: list[list[object]] = []

    def add(alias: str, kind: str, match: str, region: str, city: str = "") -> None:
        aliases.append([alias.lower(), kind, match, region, city])

    for code, name_zh, short, abbr, alt_abbr, english, _mainland, _pop in provinces:
        for alias, kind in ((name_zh, "full_name"), (short, "short_name")):
            province_aliases[alias] = code
            add(alias, kind, "contains", code)
        for one_char in filter(None, (abbr, alt_abbr)):
            # One character is too ambiguous inside longer text (京 in 南京): whole text only.
            add(one_char, "abbreviation", "exact", code)
        add(english, "english", "contains", code)
    for alias, code, kind in EXTRA_PROVINCE_ALIASES:
        province_aliases[alias] = code
        add(alias, kind, "contains", code)
    for city_code, region, name, short, _pop in cities:
        add(name, "city_full_name", "contains", region, city_code)
        # A short city name that is also a province name (吉林, 海南) means the province.
        if short != name and short not in province_aliases and len(short) >= 2:
            add(short, "city_short_name", "contains", region, city_code)
    for alias in MULTI_ALIASES:
        add(alias, "multi", "contains", "multi")
    for alias in NATIONAL_ALIASES:
        add(alias, "national", "exact" if alias in {"中国", "china"} else "contains", "national")
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for row in aliases:
        key = (row[0], row[3], row[4])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    write_csv(
        SEED_DIR / "region_aliases.csv",
        ["alias", "alias_kind", "match_type", "region_code", "city_code"],
        unique,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    build(parser.parse_args().data_dir)


if __name__ == "__main__":
    main()
