"""Edges of the library: contract files (TOML) and trajectory data (CSV, pandas).

>>> from impactbond.io import loads_contract, read_spells
>>> callable(loads_contract) and callable(read_spells)
True
"""

from impactbond.io.contract_file import (
    contract_converter,
    contract_from_dict,
    contract_to_dict,
    dump_contract,
    dumps_contract,
    load_contract,
    loads_contract,
)
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
    "contract_converter",
    "contract_from_dict",
    "contract_to_dict",
    "dump_contract",
    "dumps_contract",
    "load_contract",
    "loads_contract",
    "participants_from_frame",
    "read_participants",
    "read_spells",
    "spells_to_frame",
    "trajectories_from_frame",
    "write_participants",
    "write_spells",
]
