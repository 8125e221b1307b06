"""Settings of what the pages show: page sizes, links, dormant meters, the demo fleet."""

from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DQ_DORMANT_DAYS",
        14,
        int,
        "Offline devices page: meters offline longer than this are listed apart as dormant.",
    ),
    Setting(
        "DQ_PAGE_SIZE",
        50,
        int,
        "Rows per page on the Issues and Utility bills pages (paging happens in SQL).",
    ),
    Setting(
        "DQ_BILL_URL_TEMPLATE",
        "",
        str,
        "Utility bills page: link to a bill in the platform, e.g. "
        "https://platform.example/bills/{bill_id}; empty = no link.",
    ),
    Setting(
        "DQ_DEMO_SEED",
        42,
        int,
        "Random seed of the synthetic demo fleet that `make run` shows.",
    ),
)
