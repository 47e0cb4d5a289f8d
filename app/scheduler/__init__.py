"""The scheduler process (`flask lvyue scheduler`): a fixed registry of jobs (registry.py) run by
APScheduler's BlockingScheduler (process.py). Every job item is its own unit of work."""
