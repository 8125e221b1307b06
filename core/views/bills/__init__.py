"""The Utility bills page: findings (:mod:`.issues`), how they read (:mod:`.text`), the chart.

The meter's bill history chart is :mod:`.charts`.
"""
