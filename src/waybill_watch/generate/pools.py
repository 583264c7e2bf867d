"""Finite pools of raw text variants with the value each one normalizes to (SPEC §4).

Every messy form the generator writes comes from one of these pools, so the truth of any
rendered text is known: the forms of the shared test vectors plus more like them.
"""

from __future__ import annotations

# (code, full name, short name, one-character abbreviation, English, population weight)
PROVINCES: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("110000", "北京市", "北京", "京", "Beijing", 2.2),
    ("120000", "天津市", "天津", "津", "Tianjin", 1.4),
    ("130000", "河北省", "河北", "冀", "Hebei", 5.2),
    ("140000", "山西省", "山西", "晋", "Shanxi", 2.3),
    ("150000", "内蒙古自治区", "内蒙古", "蒙", "Inner Mongolia", 1.6),
    ("210000", "辽宁省", "辽宁", "辽", "Liaoning", 2.8),
    ("220000", "吉林省", "吉林", "吉", "Jilin", 1.6),
    ("230000", "黑龙江省", "黑龙江", "黑", "Heilongjiang", 2.1),
    ("310000", "上海市", "上海", "沪", "Shanghai", 3.5),
    ("320000", "江苏省", "江苏", "苏", "Jiangsu", 8.0),
    ("330000", "浙江省", "浙江", "浙", "Zhejiang", 9.0),
    ("340000", "安徽省", "安徽", "皖", "Anhui", 4.0),
    ("350000", "福建省", "福建", "闽", "Fujian", 4.0),
    ("360000", "江西省", "江西", "赣", "Jiangxi", 2.8),
    ("370000", "山东省", "山东", "鲁", "Shandong", 6.5),
    ("410000", "河南省", "河南", "豫", "Henan", 5.5),
    ("420000", "湖北省", "湖北", "鄂", "Hubei", 3.8),
    ("430000", "湖南省", "湖南", "湘", "Hunan", 3.8),
    ("440000", "广东省", "广东", "粤", "Guangdong", 16.0),
    ("450000", "广西壮族自治区", "广西", "桂", "Guangxi", 2.8),
    ("460000", "海南省", "海南", "琼", "Hainan", 0.8),
    ("500000", "重庆市", "重庆", "渝", "Chongqing", 2.4),
    ("510000", "四川省", "四川", "川", "Sichuan", 5.0),
    ("520000", "贵州省", "贵州", "黔", "Guizhou", 1.8),
    ("530000", "云南省", "云南", "滇", "Yunnan", 2.0),
    ("540000", "西藏自治区", "西藏", "藏", "Tibet", 0.2),
    ("610000", "陕西省", "陕西", "陕", "Shaanxi", 2.6),
    ("620000", "甘肃省", "甘肃", "甘", "Gansu", 1.2),
    ("630000", "青海省", "青海", "青", "Qinghai", 0.4),
    ("640000", "宁夏回族自治区", "宁夏", "宁", "Ningxia", 0.5),
    ("650000", "新疆维吾尔自治区", "新疆", "新", "Xinjiang", 1.4),
)
GUANGDONG = "440000"

# (province code, city code, city name without 市) — provincial capitals and big logistics hubs.
CITIES: tuple[tuple[str, str, str], ...] = (
    ("130000", "130100", "石家庄"),
    ("140000", "140100", "太原"),
    ("150000", "150100", "呼和浩特"),
    ("210000", "210100", "沈阳"),
    ("220000", "220100", "长春"),
    ("230000", "230100", "哈尔滨"),
    ("320000", "320100", "南京"),
    ("320000", "320500", "苏州"),
    ("330000", "330100", "杭州"),
    ("330000", "330300", "温州"),
    ("330000", "330700", "金华"),
    ("340000", "340100", "合肥"),
    ("350000", "350100", "福州"),
    ("350000", "350200", "厦门"),
    ("360000", "360100", "南昌"),
    ("370000", "370100", "济南"),
    ("370000", "370200", "青岛"),
    ("410000", "410100", "郑州"),
    ("420000", "420100", "武汉"),
    ("430000", "430100", "长沙"),
    ("440000", "440100", "广州"),
    ("440000", "440300", "深圳"),
    ("440000", "441900", "东莞"),
    ("440000", "440600", "佛山"),
    ("450000", "450100", "南宁"),
    ("460000", "460100", "海口"),
    ("510000", "510100", "成都"),
    ("520000", "520100", "贵阳"),
    ("530000", "530100", "昆明"),
    ("540000", "540100", "拉萨"),
    ("610000", "610100", "西安"),
    ("620000", "620100", "兰州"),
    ("630000", "630100", "西宁"),
    ("640000", "640100", "银川"),
    ("650000", "650100", "乌鲁木齐"),
)

# Location texts that are not one province: (text, region_code).
LOCATION_OTHER: tuple[tuple[str, str], ...] = (
    ("内蒙", "150000"),
    ("香港", "810000"),
    ("江浙沪", "multi"),
    ("东北三省", "multi"),
    ("江浙沪皖", "multi"),
    ("广东、福建", "multi"),
    ("京津冀", "multi"),
    ("全国", "national"),
    ("全国各地", "national"),
    ("不限", "national"),
    ("全国范围", "national"),
    ("", "unknown"),
    ("火星", "unknown"),
    ("见详情", "unknown"),
    ("私聊", "unknown"),
)


def location_variants() -> list[tuple[str, str, str | None]]:
    """Every (location_text, region_code, city_code) the generator may write for a province."""
    out: list[tuple[str, str, str | None]] = []
    for code, full, short, abbr, english, _w in PROVINCES:
        out += [(full, code, None), (short, code, None), (english, code, None)]
        # One-character abbreviations are ambiguous in general; only the well-known ones are used.
        if abbr in {"粤", "沪", "浙", "苏", "京", "川", "鲁", "闽", "豫", "鄂", "湘"}:
            out.append((abbr, code, None))
    for prov, city, name in CITIES:
        full = next(p[1] for p in PROVINCES if p[0] == prov)
        short = next(p[2] for p in PROVINCES if p[0] == prov)
        out += [(name, prov, city), (name + "市", prov, city), (full + name + "市", prov, city)]
        out.append((short + name, prov, city))
    return out


# (carrier_text, sorted |-joined codes)
CARRIERS: tuple[tuple[str, str], ...] = (
    ("中通", "ZTO"),
    ("中通快递", "ZTO"),
    ("ZTO", "ZTO"),
    ("顺丰", "SF"),
    ("顺丰速运", "SF"),
    ("SF", "SF"),
    ("圆通", "YTO"),
    ("圆通速递", "YTO"),
    ("申通", "STO"),
    ("申通快递", "STO"),
    ("韵达", "YUNDA"),
    ("韵达快递", "YUNDA"),
    ("极兔", "JT"),
    ("极兔速递", "JT"),
    ("J&T", "JT"),
    ("京东", "JD"),
    ("京东物流", "JD"),
    ("EMS", "EMS"),
    ("邮政", "EMS"),
    ("中国邮政", "EMS"),
    ("德邦", "DEPPON"),
    ("百世", "BEST"),
    ("三通一达", "STO|YTO|YUNDA|ZTO"),
    ("圆通/申通", "STO|YTO"),
    ("中通 韵达", "YUNDA|ZTO"),
    ("中通、圆通、韵达", "YTO|YUNDA|ZTO"),
    ("顺丰/京东", "JD|SF"),
    ("极兔+中通", "JT|ZTO"),
    ("全网", "ALL"),
    ("各大快递", "ALL"),
    ("全网快递", "ALL"),
    ("", "UNKNOWN"),
    ("不知道", "UNKNOWN"),
    ("快递", "UNKNOWN"),
)

FRESHNESS: tuple[tuple[str, str], ...] = (
    ("当天", "realtime"),
    ("当日单", "realtime"),
    ("实时", "realtime"),
    ("今日", "realtime"),
    ("今天", "realtime"),
    ("24小时内", "realtime"),
    ("3天内", "recent"),
    ("近三天", "recent"),
    ("一周内", "recent"),
    ("7天", "recent"),
    ("5天内", "recent"),
    ("近一周", "recent"),
    ("历史单", "historical"),
    ("老单", "historical"),
    ("半年前", "historical"),
    ("历史数据", "historical"),
    ("", "unknown"),
)
# Price premium by freshness: fresh records sell dearer.
FRESHNESS_PRICE = {"realtime": 1.8, "recent": 1.2, "historical": 0.45, "unknown": 1.0}

# (quantity_text, records or None)
QUANTITY: tuple[tuple[str, int | None], ...] = (
    ("10万条", 100000),
    ("库存10万条", 100000),
    ("2w条", 20000),
    ("5000单/天", 5000),
    ("1.5万", 15000),
    ("100W", 1000000),
    ("三千条", 3000),
    ("日更500", 500),
    ("库存5万条", 50000),
    ("3w条", 30000),
    ("20万", 200000),
    ("8000条", 8000),
    ("现货2万条", 20000),
    ("5千条", 5000),
    ("50w", 500000),
    ("1000条", 1000),
    ("不限量", None),
    ("", None),
)

# Price text templates. (template, records per quoted amount, money unit in yuan, decimals, currency)
# The generator quantizes the true unit price to what each template can show, so the truth is
# exactly what a correct parser reads back: unit price = amount * money_unit / records.
PRICE_FORMATS: tuple[tuple[str, int, float, int, str], ...] = (
    ("{a}元/条", 1, 1.0, 3, "CNY"),
    ("{a}元一条", 1, 1.0, 2, "CNY"),
    ("{a}分一条", 1, 0.01, 0, "CNY"),
    ("{a}分/条", 1, 0.01, 1, "CNY"),
    ("{a}元一单", 1, 1.0, 2, "CNY"),
    ("{a}元/万条", 10000, 1.0, 0, "CNY"),
    ("{a}/w", 10000, 1.0, 0, "CNY"),
    ("{a}元/W", 10000, 1.0, 0, "CNY"),
    ("{a}元1000条", 1000, 1.0, 0, "CNY"),
    ("{a}元/千条", 1000, 1.0, 1, "CNY"),
    ("¥{a}/1k", 1000, 1.0, 0, "CNY"),
    ("{a}元/百条", 100, 1.0, 1, "CNY"),
    ("¥{a}/条(量大优惠)", 1, 1.0, 3, "CNY"),
    ("价格：{a}元/条，日更", 1, 1.0, 2, "CNY"),
    ("单价{a}", 1, 1.0, 2, "CNY"),
    ("{a}", 1, 1.0, 2, "CNY"),
    ("RMB {a} per 1000 records", 1000, 1.0, 0, "CNY"),
    ("CNY {a}/record", 1, 1.0, 3, "CNY"),
    ("{a}元/条起", 1, 1.0, 2, "CNY"),
    ("满1万条{a}元/条", 1, 1.0, 3, "CNY"),
    ("{a}元一单 100单起", 1, 1.0, 2, "CNY"),
    ("￥{a}/条", 1, 1.0, 3, "CNY"),
    ("{a}块/百条", 100, 1.0, 0, "CNY"),
    ("{a}元1万条 可小刀", 10000, 1.0, 0, "CNY"),
    ("{a}毛一条", 1, 0.1, 0, "CNY"),
    ("{range}元/条", 1, 1.0, 3, "CNY"),
    ("{a}元3条", 3, 1.0, 2, "CNY"),
    ("{cn}元/百条", 100, 1.0, 0, "CNY"),
)
FOREIGN_PRICE_FORMATS: tuple[tuple[str, int, float, int, str], ...] = (
    ("USDT {a}/千条", 1000, 1.0, 1, "USDT"),
    ("{a}U/千条", 1000, 1.0, 1, "USDT"),
    ("{a}U/万条", 10000, 1.0, 0, "USDT"),
    ("${a}/1000", 1000, 1.0, 1, "USD"),
    ("USD {a} per 1000 records", 1000, 1.0, 1, "USD"),
    ("{a} BTC/万条", 10000, 1.0, 5, "BTC"),
)
NO_PRICE_TEXTS: tuple[str, ...] = ("面议", "私聊", "价格私聊", "", "0", "免费", "价格详谈", "V我详聊")
PLACEHOLDER_PRICE_TEXTS: tuple[str, ...] = ("999元/条", "999元/条 联系客服", "9999元/条")
PLACEHOLDER_PRICE_VALUES: tuple[float, ...] = (999.0, 999.0, 9999.0)

# Fallback CNY rates, used only when the project's exchange-rate seed is not found.
CNY_PER_UNIT = {"CNY": 1.0, "USD": 7.2, "USDT": 7.2, "BTC": 700000.0}

CN_DIGITS = ("零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十")

# (agency text, code)
AGENCIES: tuple[tuple[str, str], ...] = (
    ("国家邮政局", "SPB"),
    ("广东省邮政管理局", "SPB"),
    ("State Post Bureau", "SPB"),
    ("浙江省邮政管理局", "SPB"),
    ("深圳市邮政管理局", "SPB"),
    ("工业和信息化部", "MIIT"),
    ("工信部", "MIIT"),
    ("浙江省通信管理局", "MIIT"),
    ("上海市通信管理局", "MIIT"),
    ("公安部", "MPS"),
    ("深圳市公安局", "MPS"),
    ("广东省公安厅", "MPS"),
    ("杭州市公安局", "MPS"),
    ("广州市公安局网警支队", "MPS"),
    ("国家安全部", "MSS"),
    ("商务部", "MOFCOM"),
    ("国家工商行政管理总局", "SAMR"),
    ("工商局", "SAMR"),
    ("市场监督管理局", "SAMR"),
    ("SAIC", "SAMR"),
    ("SAMR", "SAMR"),
    ("北京市市场监督管理局", "SAMR"),
    ("", "UNKNOWN"),
)
# Guangdong campaign cases come from these.
GUANGDONG_AGENCIES: tuple[tuple[str, str], ...] = (
    ("广东省公安厅", "MPS"),
    ("深圳市公安局", "MPS"),
    ("广州市公安局网警支队", "MPS"),
    ("广东省邮政管理局", "SPB"),
)

LEAK_STAGES: tuple[tuple[str, str], ...] = (
    ("收寄", "collection"),
    ("揽收", "collection"),
    ("分拣", "sorting"),
    ("运输", "transport"),
    ("派送", "delivery"),
    ("投递", "delivery"),
    ("网点", "outlet"),
    ("加盟商", "franchisee"),
    ("系统漏洞", "it_system"),
    ("信息系统", "it_system"),
    ("接口", "it_system"),
    ("电商平台", "third_party_platform"),
    ("第三方平台", "third_party_platform"),
    ("内部人员", "insider"),
    ("内鬼", "insider"),
    ("员工倒卖", "insider"),
    ("", "unknown"),
)

# Date renderings of a (y, m, d, H, M) tuple; every one names the same local date.
DATE_FORMATS: tuple[str, ...] = (
    "{y:04d}-{m:02d}-{d:02d}",
    "{y}/{m}/{d}",
    "{y}年{m}月{d}日",
    "{y:04d}{m:02d}{d:02d}",
    "{y:04d}-{m:02d}-{d:02d} {H:02d}:{M:02d}:00",
    "{y:04d}/{m:02d}/{d:02d} {H:02d}:{M:02d}",
    "{y}/{m}/{d} {H}:{M:02d}",
    "{y:04d}.{m:02d}.{d:02d}",
)

INCIDENT_SOURCES: tuple[str, ...] = (
    "12305投诉",
    "企业自查",
    "公安移送",
    "媒体报道",
    "12305 hotline",
    "网信办转办",
)
INCIDENT_STATUSES_OPEN = ("open", "Open", "open ")
CASE_TYPES = ("criminal", "administrative")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红"
HANDLE_WORDS = (
    "数据",
    "单号",
    "快递",
    "面单",
    "老王",
    "小李",
    "阿强",
    "资源",
    "一手",
    "实时",
    "信息",
    "全网",
    "kd",
    "data",
    "wl",
    "shop",
    "boss",
    "vip",
    "dh",
    "mian",
    "dan",
)
TITLE_TEMPLATES: tuple[str, ...] = (
    "{carrier}快递单号出售 {fresh}",
    "出{region}面单数据 实时更新",
    "全网快递信息 一手货源 {fresh}",
    "淘宝/拼多多收件人信息 按条卖",
    "{carrier}面单 姓名电话地址 {qty}",
    "【诚信】快递数据 {region} 量大从优",
    "{region}物流信息 {carrier} 日更",
    "收件人资料 {fresh} 可验货",
    "快递单号 {carrier} 支持小单测试",
    "电商买家数据 {region} {qty}",
)
