"""Edges of the library: contract files (TOML), register tables (CSV dialects, Excel,
Parquet, Arrow, frames, DREAM), results (CSV, JSON) and the INDIGO export.

>>> from impactbond.io import loads_contract, read_spells
>>> callable(loads_contract) and callable(read_spells)
True
"""

from impactbond.io.codes import read_codes
from impactbond.io.contract_file import (
    contract_converter,
    contract_from_dict,
    contract_to_dict,
    dump_contract,
    dumps_contract,
    load_contract,
    loads_contract,
)
from impactbond.io.dream import read_dream
from impactbond.io.register_tables import RegisterTables, read_register
from impactbond.io.tables import Dialect, SourceTable, read_table
from impactbond.io.trajectories import (
    participants_from_frame,
    read_participants,
    read_spells,
    spells_to_frame,
    trajectories_from_frame,
    write_participants,
    write_spells,
)

__all__ = [
    "Dialect",
    "RegisterTables",
    "SourceTable",
    "contract_converter",
    "contract_from_dict",
    "contract_to_dict",
    "dump_contract",
    "dumps_contract",
    "load_contract",
    "loads_contract",
    "participants_from_frame",
    "read_codes",
    "read_dream",
    "read_participants",
    "read_register",
    "read_spells",
    "read_table",
    "spells_to_frame",
    "trajectories_from_frame",
    "write_participants",
    "write_spells",
]
