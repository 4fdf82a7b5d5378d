"""Achievement and retention figures of a register with several scenarios: each scenario's
figures are those of its participants settled alone (the figures are counted per scenario
and cohort in one pass, not with a mask per scenario)."""

from __future__ import annotations

from datetime import date

import attrs
import pyarrow as pa
import pyarrow.compute as pc

import impactbond as ib

AS_OF = date(2026, 7, 1)


def _copy(
    tables: dict[str, pa.Table], prefix: str, scenario: int, keep: int
) -> dict[str, pa.Table]:
    """The first ``keep`` participants, renamed ``prefix + id``, in ``scenario``."""
    people = tables["participants"].slice(0, keep)
    ids = people.column("participant_id")
    spells = tables["spells"].filter(pc.is_in(tables["spells"].column("participant_id"), ids))

    def renamed(t: pa.Table) -> pa.Table:
        i = t.schema.get_field_index("participant_id")
        new = pc.binary_join_element_wise(prefix, t.column(i), "")
        return t.set_column(i, "participant_id", new)

    people = renamed(people)
    i = people.schema.get_field_index("scenario")
    people = people.set_column(i, "scenario", pa.array([scenario] * people.num_rows, pa.int32()))
    return {"participants": people, "spells": renamed(spells)}


def test_each_scenario_counts_as_its_participants_settled_alone() -> None:
    contract, people, trajectories = ib.examples.nyborg()
    base = ib.Register.from_objects(people, trajectories).to_tables()
    # Scenario 3 holds all 100 citizens, scenario 7 the first 40: different figures.
    parts = [_copy(base, "A-", 3, 100), _copy(base, "B-", 7, 40)]
    both = ib.Register.from_tables(
        pa.concat_tables([p["participants"] for p in parts]),
        pa.concat_tables([p["spells"] for p in parts]),
    )
    together = ib.settle(contract, both, as_of=AS_OF)
    for part, key in zip(parts, (3, 7), strict=True):
        alone = ib.settle(
            contract,
            ib.Register.from_tables(part["participants"], part["spells"]),
            as_of=AS_OF,
        )
        mine = [a for a in together.achievements if a.scenario == key]
        assert [attrs.evolve(a, scenario=key) for a in alone.achievements] == mine
        kept = [r for r in together.retention if r.scenario == key]
        assert [attrs.evolve(r, scenario=key) for r in alone.retention] == kept
        assert len(mine) == 2 and len(kept) == 4  # 2 cohorts x (1 target; 2 retention outcomes)
    # The scenarios differ: 40 citizens cannot achieve what 100 do in every cohort.
    three = [a.quantity for a in together.achievements if a.scenario == 3]
    seven = [a.quantity for a in together.achievements if a.scenario == 7]
    assert three != seven
