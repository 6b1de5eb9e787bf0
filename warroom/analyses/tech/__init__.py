"""What the tech team watches so the sale does not fall over: traffic, latency, errors, hosts, capacity, and
the health of Warroom's own pipeline. Every number comes from the metric layer (warroom.metrics).

Scope(time_from, time_to, service, principal)       the window and service every analysis reads
traffic.rps_by_service / top_endpoints / peak_vs_normal
latency.percentiles (exact, or the sketch beyond EXACT_MAX_ROWS) / approx_percentiles / apdex /
        slowest_endpoints / heatmap; sketch: the fixed log-bucket histogram and its error bound
errors.error_rates / error_sources / burn_rates (against an Slo)
hosts.host_usage / near_saturation
capacity.CapacityPlan / capacity / forecast_next_hour / qps_for_orders
selfhealth.pipeline_health / prometheus_text
"""

from warroom.analyses.tech.scope import Scope

__all__ = ["Scope"]
