"""Large Redshift inserts through S3: Parquet staged on a local moto server, COPY sent to a mock."""

import io
import re

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.db import connect, redshift_stage
from core.errors import ConfigError, WarehouseError

URL = "redshift://dq:pw@cluster.abc.eu-west-1.redshift.amazonaws.com:5439/results"
ROLE = "arn:aws:iam::123456789012:role/dq-loader"
VARCHAR, TIMESTAMP, DOUBLE, DATE, INTEGER, NUMERIC = 1043, 1114, 701, 1082, 23, 1700
READINGS = [("meter_id", VARCHAR), ("ts", TIMESTAMP), ("value", DOUBLE), ("source", VARCHAR)]
COLUMNS = {  # what the cluster's empty SELECT describes: (name, type OID)
    "readings": READINGS,
    "dq_ingest_readings": READINGS,  # the import's temporary staging table
    "dq_meter_days": [
        ("meter_id", VARCHAR),
        ("day", DATE),
        ("expected_points", INTEGER),
        ("score", DOUBLE),
        ("run_id", VARCHAR),
    ],
    "money": [("bill_id", VARCHAR), ("cost", NUMERIC)],
}


class Cluster:
    """A mocked Redshift: answers the column query, reads what COPY names from S3 (moto)."""

    def __init__(self, s3, bucket, fail_copy=False):
        self.s3, self.bucket, self.fail_copy = s3, bucket, fail_copy
        self.log, self.copies, self.commits, self.rollbacks = [], [], 0, 0

    def connect(self, **kwargs):
        return Connection(self)

    def copy(self, sql):
        table, uri = re.match(r"^COPY (\w+) FROM '(s3://[^']+)'", sql).groups()
        prefix = uri.removeprefix(f"s3://{self.bucket}/")
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        keys = sorted(o["Key"] for o in listed)
        raw = [self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in keys]
        files = [pq.read_table(io.BytesIO(r)) for r in raw]
        self.copies.append({"sql": sql, "table": table, "keys": keys, "files": files, "raw": raw})
        if self.fail_copy:
            raise RuntimeError("Spectrum Scan Error")


class Connection:
    def __init__(self, cluster):
        self.cluster, self.autocommit = cluster, True

    def cursor(self):
        return Cursor(self.cluster)

    def commit(self):
        self.cluster.commits += 1

    def rollback(self):
        self.cluster.rollbacks += 1

    def close(self):
        pass


class Cursor:
    def __init__(self, cluster):
        self.cluster, self.description, self.rows = cluster, None, []

    def execute(self, sql, params=None):
        self.cluster.log.append(sql)
        if match := re.fullmatch(r"SELECT \* FROM (\w+) WHERE 1 = 0", sql):
            self.description = [
                (n, oid, None, None, None, None, None) for n, oid in COLUMNS[match.group(1)]
            ]
            self.rows = []
        elif sql.startswith("COPY"):
            self.cluster.copy(sql)

    def fetchall(self):
        return self.rows

    def close(self):
        pass


@pytest.fixture
def cluster(s3_bucket, moto_server, monkeypatch):
    import redshift_connector

    s3, bucket = s3_bucket
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    monkeypatch.setenv("DQ_REDSHIFT_STAGING_URL", f"s3://{bucket}/stage/dq")
    monkeypatch.setenv("DQ_REDSHIFT_IAM_ROLE", ROLE)
    monkeypatch.setenv("DQ_REDSHIFT_COPY_MIN_ROWS", "3")
    fake = Cluster(s3, bucket)
    monkeypatch.setattr(redshift_connector, "connect", fake.connect)
    return fake


def _objects(cluster):
    return cluster.s3.list_objects_v2(Bucket=cluster.bucket).get("Contents", [])


def test_large_insert_is_staged_as_parquet_copied_and_deleted(cluster):
    df = pd.DataFrame(
        {
            "value": [1.5, None, 3.25, 4.0],
            "source": ["platform", "raw", "platform", "raw"],
            "meter_id": ["m1", "m1", "m2", "m2"],
            "ts": pd.to_datetime(
                ["2026-03-01 00:00", "2026-03-01 00:15", "2026-03-01 00:00", "2026-03-09 23:45"]
            ),
        }
    )
    assert connect(URL).insert_df("readings", df) == 4

    (copy,) = cluster.copies
    assert re.fullmatch(
        rf"COPY readings FROM 's3://{cluster.bucket}/stage/dq/readings/[0-9a-f]{{32}}/' "
        rf"IAM_ROLE '{ROLE}' FORMAT AS PARQUET",
        copy["sql"],
    )
    (key,) = copy["keys"]
    assert key.startswith("stage/dq/readings/") and key.endswith("/part-00000.parquet")
    (data,) = copy["files"]
    assert data.column_names == ["meter_id", "ts", "value", "source"]  # the table's order
    staged = data.to_pandas()
    expected = df[["meter_id", "ts", "value", "source"]]
    pd.testing.assert_frame_equal(staged, expected, check_dtype=False)
    schema = pq.ParquetFile(io.BytesIO(copy["raw"][0])).schema
    assert schema.column(1).physical_type == "INT96"  # the timestamp Redshift's reader reads
    assert not any(s.startswith("INSERT") for s in cluster.log)
    assert _objects(cluster) == []  # deleted after the COPY
    assert cluster.commits >= 1 and cluster.rollbacks == 0


def test_types_follow_the_table_and_missing_columns_are_null(cluster):
    df = pd.DataFrame(
        {
            "meter_id": ["m1", "m2", "m3"],
            "day": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-02"]),
            "expected_points": [96, 92, 100],
            "score": [1.0, 0.5, float("nan")],
        }
    )
    assert connect(URL).insert_df("dq_meter_days", df) == 3
    ((data,),) = [c["files"] for c in cluster.copies]
    assert data.schema.field("expected_points").type == pa.int32()  # INTEGER, not int64
    assert data.schema.field("day").type == pa.date32()
    assert data.column("run_id").null_count == 3  # not in the frame: NULL, like an INSERT
    assert data.column("score").to_pylist() == [1.0, 0.5, None]
    assert data.column("day").to_pylist()[2].isoformat() == "2026-03-02"
    assert _objects(cluster) == []


def test_many_rows_go_in_several_files_under_one_prefix(cluster, monkeypatch):
    monkeypatch.setattr(redshift_stage, "ROWS_PER_FILE", 2)
    df = pd.DataFrame(
        {
            "meter_id": list("abcde"),
            "ts": pd.Timestamp("2026-03-01"),
            "value": 1.0,
            "source": "platform",
        }
    )
    connect(URL).insert_df("readings", df)
    (copy,) = cluster.copies
    assert [k.rsplit("/", 1)[1] for k in copy["keys"]] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert sum(f.num_rows for f in copy["files"]) == 5
    assert _objects(cluster) == []


def test_small_insert_stays_batched_inserts(cluster):
    df = pd.DataFrame(
        {
            "meter_id": ["m1", "m2"],
            "ts": pd.Timestamp("2026-03-01"),
            "value": [1.0, 2.0],
            "source": "platform",
        }
    )
    assert connect(URL).insert_df("readings", df) == 2
    assert cluster.copies == [] and _objects(cluster) == []
    assert [s for s in cluster.log if s.startswith("INSERT")] == [
        'INSERT INTO readings ("meter_id", "ts", "value", "source") '
        "VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)"
    ]


def test_without_staging_url_large_inserts_are_batched(cluster, monkeypatch):
    monkeypatch.delenv("DQ_REDSHIFT_STAGING_URL")
    df = pd.DataFrame(
        {
            "meter_id": list("abcd"),
            "ts": pd.Timestamp("2026-03-01"),
            "value": 1.0,
            "source": "platform",
        }
    )
    assert connect(URL).insert_df("readings", df) == 4
    assert cluster.copies == [] and any(s.startswith("INSERT") for s in cluster.log)


def test_temporary_staging_table_is_copied_too(cluster):
    """The import and the sync insert into a temporary table, then delete+insert from it."""
    df = pd.DataFrame(
        {
            "meter_id": list("abcd"),
            "ts": pd.Timestamp("2026-03-01"),
            "value": 1.0,
            "source": "platform",
        }
    )
    with connect(URL).transaction() as tx:
        tx.execute("CREATE TEMP TABLE dq_ingest_readings (LIKE readings)")
        assert tx.insert_df("dq_ingest_readings", df) == 4
    (copy,) = cluster.copies
    assert copy["sql"].startswith("COPY dq_ingest_readings FROM 's3://")
    assert not any(s.startswith("INSERT") for s in cluster.log)


def test_a_type_parquet_staging_does_not_map_falls_back_to_inserts(cluster):
    df = pd.DataFrame({"bill_id": list("abcd"), "cost": 1.0})
    assert connect(URL).insert_df("money", df) == 4  # NUMERIC
    assert cluster.copies == [] and any(s.startswith("INSERT") for s in cluster.log)


def test_a_column_the_table_lacks_is_named(cluster):
    df = pd.DataFrame(
        {
            "meter_id": list("abcd"),
            "ts": pd.Timestamp("2026-03-01"),
            "value": 1.0,
            "source": "platform",
            "colour": "red",
        }
    )
    with pytest.raises(WarehouseError, match="readings: no column colour"):
        connect(URL).insert_df("readings", df)
    assert _objects(cluster) == []


def test_failed_copy_rolls_back_and_still_deletes_the_files(cluster):
    cluster.fail_copy = True
    df = pd.DataFrame(
        {
            "meter_id": list("abcd"),
            "ts": pd.Timestamp("2026-03-01"),
            "value": 1.0,
            "source": "platform",
        }
    )
    with pytest.raises(RuntimeError, match="Spectrum"):
        connect(URL).insert_df("readings", df)
    (copy,) = cluster.copies
    assert len(copy["keys"]) == 1  # it was there for the COPY
    assert _objects(cluster) == [] and cluster.rollbacks == 1


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("DQ_REDSHIFT_STAGING_URL", "s3://dq-stage/loads")
    with pytest.raises(ConfigError, match="DQ_REDSHIFT_IAM_ROLE"):
        redshift_stage.Staging.from_settings()
    monkeypatch.setenv("DQ_REDSHIFT_IAM_ROLE", "role'; DROP TABLE x")
    with pytest.raises(ConfigError, match="IAM role"):
        redshift_stage.Staging.from_settings()
    monkeypatch.setenv("DQ_REDSHIFT_IAM_ROLE", ROLE)
    monkeypatch.setenv("DQ_REDSHIFT_STAGING_URL", "s3://Bad_Bucket/x'")
    with pytest.raises(ConfigError, match="DQ_REDSHIFT_STAGING_URL"):
        redshift_stage.Staging.from_settings()
    monkeypatch.setenv("DQ_REDSHIFT_STAGING_URL", "s3://dq-stage/loads/")
    staging = redshift_stage.Staging.from_settings()
    assert (staging.bucket, staging.prefix, staging.min_rows) == ("dq-stage", "loads", 100000)
    monkeypatch.setenv("DQ_REDSHIFT_STAGING_URL", "")
    assert redshift_stage.Staging.from_settings() is None


def test_column_query_runs_on_postgresql_and_every_warehouse_type_maps(pg_url):
    """The empty SELECT is plain SQL: run it on the real server over the migrated schema."""
    from core.db import open_warehouse

    open_warehouse(pg_url)
    with psycopg.connect(pg_url) as con:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        ]
        con.execute("CREATE TEMP TABLE dq_ingest_readings (LIKE readings)")
        described = {}
        for table in [*tables, "dq_ingest_readings"]:
            cur = con.execute(redshift_stage.COLUMNS_SQL.format(table=table))
            described[table] = [(d[0], d[1]) for d in cur.description]
    assert described["readings"] == READINGS == described["dq_ingest_readings"]
    unmapped = sorted(
        {
            (t, n, oid)
            for t, cols in described.items()
            for n, oid in cols
            if redshift_stage._arrow_type(oid) is None
        }
    )
    assert unmapped == []  # every column of every warehouse table can be staged
