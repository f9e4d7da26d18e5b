"""Lineage: the job records of a workspace and the DAG they form."""
