#!/usr/bin/env bash
# Start PostgreSQL (127.0.0.1:5432) for the tests if it is installed and down. Never fails by
# itself: `make test` sets DQ_TEST_REQUIRE_SERVICES=1, so a test whose server is missing fails
# with a message naming it (a plain `pytest` run skips those tests instead). InfluxDB and the S3
# stand-in (moto) are started by the tests themselves on free loopback ports.
set -u
if command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
fi
exit 0
