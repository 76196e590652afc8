"""The tenancy record: lease contracts, rent, move-out inspections and the tenant's credit file."""
