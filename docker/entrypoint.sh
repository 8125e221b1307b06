#!/bin/sh
# DQ Hub container entrypoint: one image, started as the app, the worker or a one-off job.
#
#   app [STREAMLIT_OPTION ...]  apply migrations, then serve the Streamlit app on 0.0.0.0:$PORT
#   worker [ARG ...]            apply migrations, then run the scheduler (python -m jobs serve)
#   demo [DEMO_OPTION ...]      seed the demo fleet if the warehouse is empty, score its last
#                               day, check its bills, scan last month's mornings (`make demo`)
#   COMMAND [ARG ...]           any other `python -m jobs` command: migrate, run, import, ...
#
# The last command is started with exec, so it replaces this shell and receives the
# container's signals (docker stop sends SIGTERM to it). $PYTHON names the interpreter
# (default: python); tests point it at a stub that records its arguments, and
# `docker run --rm -e PYTHON=echo IMAGE app` prints what would run.
set -eu

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

# `python -m jobs` commands passed through as they are; tests/test_docker.py checks that
# every command of jobs/cli.py is listed here.
JOBS_COMMANDS="migrate import sync run backfill export evaluate users owners settings serve"

usage() {
    cat <<USAGE
usage: docker run IMAGE [MODE] [ARG ...]

modes:
  app [STREAMLIT_OPTION ...]  apply migrations, then serve the app on 0.0.0.0:\${PORT:-8501}
                              (the default)
  worker [ARG ...]            apply migrations, then run the job scheduler (python -m jobs serve);
                              run exactly one worker per warehouse
  demo [DEMO_OPTION ...]      seed the demo fleet if the warehouse is empty, score its last day,
                              check its bills and scan last month's mornings
  COMMAND [ARG ...]           run one job command: $JOBS_COMMANDS
                              (e.g. \`run dq --date latest\`, \`users add NAME ...\`)
  help                        show this help

Settings come from DQ_* environment variables or a mounted /app/.streamlit/secrets.toml;
see docs/docker.md.
USAGE
}

if [ "$#" -eq 0 ]; then
    usage >&2
    exit 2
fi

mode="$1"
shift
case "$mode" in
    app)
        "$PYTHON" -m jobs migrate
        exec "$PYTHON" -m streamlit run Home.py \
            --server.address 0.0.0.0 \
            --server.port "${PORT:-8501}" \
            --server.headless true \
            "$@"
        ;;
    worker)
        "$PYTHON" -m jobs migrate
        exec "$PYTHON" -m jobs serve "$@"
        ;;
    demo)
        "$PYTHON" -m jobs demo --if-empty "$@"
        "$PYTHON" -m jobs run dq --date latest -q
        "$PYTHON" -m jobs run bills -q
        exec "$PYTHON" -m jobs run overshoot -q
        ;;
    help | -h | --help)
        usage
        exit 0
        ;;
esac

for command in $JOBS_COMMANDS; do
    if [ "$mode" = "$command" ]; then
        exec "$PYTHON" -m jobs "$mode" "$@"
    fi
done

echo "docker/entrypoint.sh: unknown mode '$mode'" >&2
usage >&2
exit 2
