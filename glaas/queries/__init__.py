"""The query layer: every read the API and the web pages make, one module per resource.

Each function takes a Connection and the caller (``Principal``) and enforces scopes itself:
a record the caller may not see is reported exactly like one that does not exist (NotFound),
so routes and pages cannot leak it by forgetting a check.
"""
