"""The ``config.yml`` keys pycti's helper reads itself, so that any other key is reported as the
typo it is (``tests/test_settings.py`` checks the list against the pinned pycti's source)."""

from __future__ import annotations

# Keys pycti's helper (the pinned version) reads itself from config.yml; any other is a typo.
PYCTI_KEYS = {
    "opencti": frozenset({"url", "token", "ssl_verify", "json_logging", "custom_headers"}),
    "connector": frozenset(
        {
            "auto", "auto_create_service_account", "auto_create_service_account_confidence_level",
            "auto_update", "duration_period", "enrichment_resolution", "expose_metrics", "id",
            "listen_protocol", "listen_protocol_api_path", "listen_protocol_api_port",
            "listen_protocol_api_ssl", "listen_protocol_api_ssl_cert",
            "listen_protocol_api_ssl_key", "listen_protocol_api_ssl_passphrase",
            "listen_protocol_api_uri", "live_stream_id", "live_stream_listen_delete",
            "live_stream_no_dependencies", "live_stream_recover_iso_date",
            "live_stream_start_timestamp", "live_stream_with_inferences", "log_level",
            "metrics_namespace", "metrics_port", "metrics_subsystem", "name", "only_contextual",
            "queue_protocol", "queue_threshold", "run_and_terminate", "scope",
            "send_to_directory", "send_to_directory_path", "send_to_directory_retention",
            "send_to_queue", "type", "validate_before_import", "xtm_one_intent",
        }
    ),
    "mq": frozenset(
        {"host", "pass", "port", "use_ssl", "use_ssl_ca", "use_ssl_cert", "use_ssl_key",
         "use_ssl_passphrase", "use_ssl_reject_unauthorized", "user", "vhost"}
    ),
}  # fmt: skip
