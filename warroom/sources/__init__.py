"""Sources: data teams already have, read into canonical rows and handed to warroom.ingest.

Log files (`warroom ingest-logs`, entry point logfiles.ingest_logs):
- lines.py: text files as Arrow arrays of lines, chunk by chunk, with their line numbers.
- nginx.py: nginx access logs (combined + $request_time) -> api_requests.
- applog.py: JSON-lines application logs, by a log mapping -> api_requests.
- exposition.py / prometheus.py: Prometheus text exposition files -> samples -> host_metrics.
- endpoints.py: request paths -> endpoint templates (/api/order/{id}).
- logmapping.py: the YAML that supplies what a log does not say (service, host, role, JSON fields).
Databases (`warroom sources`): databases.py pulls MySQL/MariaDB and PostgreSQL tables, watermarks.py
keeps each source's position.

Nothing is imported here, so loading one kind of source does not load the others.
"""
