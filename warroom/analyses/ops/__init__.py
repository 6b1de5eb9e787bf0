"""Operations analyses: what the operations team watches and decides on during the sale.

One module per analysis, each a thin I/O edge over the metric layer (run_query / dataset) around a pure core
that is tested by hand:

traffic.traffic(...)            PV / UV by channel per hour against a baseline day, channel mix, live rate
funnel.funnel(...)              view -> cart -> order -> pay, user- or session-based, drop per step vs baseline
promotions.promotions(...)      per promotion type or promotion: orders, GMV, AOV, discounts, uplift
leaderboards.leaderboard(...)   SKUs / categories / brands by GMV and units, growth, sell-through, stock left
peaks.peaks(...)                hour-of-day x category (or channel) heatmap and each row's peak hour
segments.segments(...)          RFM scores and segments; new / returning / reactivated buyers
retention.churn(...)            repurchase rate, cohort retention, BG/NBD churn risk per customer
roi.channel_roi(...)            spend, GMV, ROI, CAC, cost per order by channel over time; falling channels
stock.stock_levels(...)         on hand, sell rate and hours of stock left per SKU; stockouts() the list
"""
