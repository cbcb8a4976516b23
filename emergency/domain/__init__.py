"""Pure domain logic: values in, values out; no database, network, Prefect or clock."""
