"""Scheduler jobs (APScheduler process) — arrives with the deadlines issue."""
