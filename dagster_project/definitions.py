import dagster as dg

import dagster_project.defs


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_defs(defs_root=dagster_project.defs)
