"""Finance analyses (issue 6): is the sale making money, not only noise.

waterfall   list-price GMV down to net profit, for the whole sale or by day, channel, category, campaign
margins     margin by category / channel / promotion / SKU against a baseline day; negative-margin lines
cashflow    money in (settled T+N by payment method) and out, by day, and a forecast of the next days
reconcile   orders vs payments vs refunds: every mismatch with its reason, totals that tie out
anomalies   refund rate by category and payment failure rate by method and code against a baseline band

Every business number comes from the metric layer (run_query / dataset) under the caller's principal.
"""
