"""Prefect flows of the emergency office: thin checklists of tasks over emergency.services."""
