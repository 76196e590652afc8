"""Home Assistant glue shared by the Building Hub integrations.

The only package besides the integrations that imports Home Assistant.
"""
