"""The job worker (``python -m jobs serve``): schedules, run-now queue, singleton lock.

Modules: ``schedules`` (crontab settings as triggers), ``partitions`` (the day or month a run
is for, shared with the CLI), ``tasks`` (run one job, record its outcome), ``runqueue``
(``run_requests``), ``lock`` (one worker per warehouse), ``service`` (the process).
"""
