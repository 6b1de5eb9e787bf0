"""Traffic channels: their share of visits, how well they convert and what a visit costs.

Assumptions: search and live streams convert best (intent, and an anchor pushing the deal), the feed and
off-site ads worst (browsing, cold traffic); off-site ads cost the most per visit (CPC 1.1-1.4 yuan),
the main venue almost nothing (the platform's own page). The main venue's share doubles on sale days.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from warroom.schema.tables import CHANNEL_GROUPS


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    name_zh: str
    group: str
    share: float  # of visits on a quiet day
    cart_mult: float  # on the view -> cart probability
    order_mult: float  # on the cart -> order probability
    cpc_fen: int  # marketing cost per visit


CHANNELS: tuple[Channel, ...] = (
    Channel("search", "Search", "搜索", "search", 0.28, 1.25, 1.10, 60),
    Channel("feed", "Recommendation feed", "猜你喜欢", "feed", 0.22, 0.80, 0.90, 25),
    Channel("live_top", "Top anchor live stream", "头部主播直播间", "live_stream", 0.10, 1.60, 1.20, 90),
    Channel("live_store", "Brand store live stream", "品牌店铺直播", "live_stream", 0.05, 1.30, 1.10, 50),
    Channel("social", "Social sharing", "社交分享", "social", 0.08, 1.00, 1.00, 15),
    Channel(
        "ads_video", "Off-site ads: short video", "站外广告-短视频", "offsite_ads", 0.07, 0.60, 0.80, 140
    ),
    Channel(
        "ads_search", "Off-site ads: search engine", "站外广告-搜索引擎", "offsite_ads", 0.05, 0.70, 0.80, 110
    ),
    Channel("main_venue", "Main venue", "主会场", "main_venue", 0.15, 1.10, 1.05, 8),
)
CHANNEL_IDS = tuple(c.channel_id for c in CHANNELS)
GROUP_OF = np.array([CHANNEL_GROUPS.index(c.group) for c in CHANNELS])
CART_MULT = np.array([c.cart_mult for c in CHANNELS])
ORDER_MULT = np.array([c.order_mult for c in CHANNELS])
CPC_FEN = np.array([c.cpc_fen for c in CHANNELS])
MAIN_VENUE = CHANNEL_IDS.index("main_venue")

# Device mix per channel group (rows follow CHANNEL_GROUPS, columns schema.tables.DEVICES): the app dominates; social
# shares open in mini programs; search keeps some PC users.
DEVICE_MIX = np.array(
    [
        [0.34, 0.40, 0.04, 0.07, 0.15],  # search
        [0.38, 0.52, 0.04, 0.04, 0.02],  # feed
        [0.40, 0.52, 0.03, 0.04, 0.01],  # live_stream
        [0.15, 0.20, 0.55, 0.09, 0.01],  # social
        [0.30, 0.45, 0.05, 0.17, 0.03],  # offsite_ads
        [0.38, 0.50, 0.04, 0.04, 0.04],  # main_venue
    ]
)


def channel_shares(sale_day: np.ndarray) -> np.ndarray:
    """[n, n_channels] visit shares; `sale_day` marks wave and climax times, when the main venue doubles."""
    base = np.array([c.share for c in CHANNELS])
    boosted = base.copy()
    boosted[MAIN_VENUE] *= 2
    out = np.where(np.asarray(sale_day)[:, None], boosted[None, :], base[None, :])
    return out / out.sum(axis=1, keepdims=True)


def channels_table(schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"channel_id": c.channel_id, "name": c.name, "name_zh": c.name_zh, "channel_group": c.group}
            for c in CHANNELS
        ],
        schema=schema,
    )
