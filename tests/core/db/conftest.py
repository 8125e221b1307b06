"""The moto S3 server fixtures of the source tests, for the Redshift staging tests here."""

from tests.core.sources.conftest import aws_env, moto_server, s3_bucket  # noqa: F401
