"""Customers: returning ones registered before the period, new ones registering during it.

Assumptions: 60% of the accounts active in the period are returning (registered 2015 up to the period's
start), 40% register during it; 75% of returning customers bought before the period, so their first order
in it is not a new buyer's. Provinces are weighted by the 2020 census population (millions) and each gets
its capital or its second city. Member levels skew higher for returning customers. Names and phone numbers
are fake but plausible: a common surname and one or two given-name characters, and an 11-digit number on a
real mobile prefix.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warroom.schema.tables import MEMBER_LEVELS

# Province: (population 2020 in millions, capital, second city).
PROVINCES: dict[str, tuple[float, str, str]] = {
    "广东": (126.0, "广州", "深圳"), "山东": (101.5, "济南", "青岛"), "河南": (99.4, "郑州", "洛阳"),
    "江苏": (84.7, "南京", "苏州"), "四川": (83.7, "成都", "绵阳"), "河北": (74.6, "石家庄", "唐山"),
    "湖南": (66.4, "长沙", "株洲"), "浙江": (64.6, "杭州", "宁波"), "安徽": (61.0, "合肥", "芜湖"),
    "湖北": (57.8, "武汉", "宜昌"), "广西": (50.1, "南宁", "柳州"), "云南": (47.2, "昆明", "大理"),
    "江西": (45.2, "南昌", "赣州"), "辽宁": (42.6, "沈阳", "大连"), "福建": (41.5, "福州", "厦门"),
    "陕西": (39.5, "西安", "宝鸡"), "贵州": (38.6, "贵阳", "遵义"), "山西": (34.9, "太原", "大同"),
    "重庆": (32.1, "重庆", "万州"), "黑龙江": (31.9, "哈尔滨", "大庆"), "新疆": (25.9, "乌鲁木齐", "喀什"),
    "甘肃": (25.0, "兰州", "天水"), "上海": (24.9, "上海", "浦东"), "吉林": (24.1, "长春", "吉林"),
    "内蒙古": (24.0, "呼和浩特", "包头"), "北京": (21.9, "北京", "朝阳"), "天津": (13.9, "天津", "滨海"),
    "海南": (10.1, "海口", "三亚"), "宁夏": (7.2, "银川", "石嘴山"), "青海": (5.9, "西宁", "海东"),
    "西藏": (3.6, "拉萨", "日喀则"),
}  # fmt: skip
PROVINCE_NAMES = tuple(PROVINCES)
_POP = np.array([v[0] for v in PROVINCES.values()])
_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩然子涵欣怡梓轩雨")
_PREFIXES = np.array([134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 183, 186, 187, 188, 130,
                      131, 132, 155, 156, 176, 185, 133, 153, 177, 180, 181, 189, 199])  # fmt: skip
AGE_BANDS = ("18-24", "25-29", "30-34", "35-39", "40-49", "50+")
_AGE_P = np.array([0.22, 0.24, 0.20, 0.14, 0.13, 0.07])
_LEVEL_P_RETURNING = np.array([0.40, 0.25, 0.18, 0.10, 0.07])
_LEVEL_P_NEW = np.array([0.90, 0.10, 0.0, 0.0, 0.0])
RETURNING_SHARE = 0.60
PRIOR_BUYER_SHARE = 0.75
CUSTOMER_ID_BASE = 10_000_000
_FIRST_ACCOUNT_US = 1_420_070_400 * 1_000_000  # 2015-01-01 UTC: the oldest accounts


@dataclass
class Customers:
    """Sorted by registered_at, so the accounts that exist at time t are a prefix of the arrays."""

    customer_id: np.ndarray
    registered_us: np.ndarray
    province: np.ndarray  # index into PROVINCE_NAMES
    bought_before: np.ndarray  # bool: has an order before this one (updated as the simulation runs)

    def count_registered(self, t_us: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.registered_us, t_us, side="left")


def customer_count(scale: float) -> int:
    """60,000 accounts active at scale 1 (about 2 visits each over the period)."""
    return max(200, round(60_000 * scale))


def make_customers(rng: np.random.Generator, n: int, start_us: int, end_us: int) -> tuple[Customers, dict]:
    """The customers and their dimension columns (as Arrow arrays, in schema order after the id)."""
    n_ret = round(n * RETURNING_SHARE)
    reg = np.concatenate(
        [rng.integers(_FIRST_ACCOUNT_US, start_us, n_ret), rng.integers(start_us, end_us, n - n_ret)]
    )
    returning = np.arange(n) < n_ret
    order = np.argsort(reg, kind="stable")
    reg, returning = reg[order], returning[order]
    province = rng.choice(len(_POP), size=n, p=_POP / _POP.sum())
    second_city = rng.random(n) < 0.35
    cities = np.array([v[1:] for v in PROVINCES.values()])
    level = np.where(
        returning,
        rng.choice(len(MEMBER_LEVELS), size=n, p=_LEVEL_P_RETURNING),
        rng.choice(len(MEMBER_LEVELS), size=n, p=_LEVEL_P_NEW),
    )
    surname = pc.take(pa.array(_SURNAMES), pa.array(rng.integers(len(_SURNAMES), size=n)))
    given1 = pc.take(pa.array(_GIVEN), pa.array(rng.integers(len(_GIVEN), size=n)))
    given2 = pc.take(pa.array(("", *_GIVEN)), pa.array(rng.integers(len(_GIVEN) + 1, size=n)))
    phone = rng.choice(_PREFIXES, size=n) * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    customers = Customers(
        customer_id=CUSTOMER_ID_BASE + np.arange(n, dtype=np.int64),
        registered_us=reg,
        province=province,
        bought_before=returning & (rng.random(n) < PRIOR_BUYER_SHARE),
    )
    columns = {
        "registered_at": reg,
        "province": pc.take(pa.array(PROVINCE_NAMES), pa.array(province)),
        "city": pa.array(cities[province, second_city.astype(int)]),
        "age_band": pc.take(pa.array(AGE_BANDS), pa.array(rng.choice(len(AGE_BANDS), size=n, p=_AGE_P))),
        "member_level": pc.take(pa.array(MEMBER_LEVELS), pa.array(level)),
        "name": pc.binary_join_element_wise(surname, given1, given2, ""),
        "phone": pa.array(phone).cast(pa.string()),
    }
    return customers, columns
