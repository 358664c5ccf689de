"""Term frequencies looked up for scored pairs: cutting the tables to the pairs' values first changes nothing."""

import polars as pl

from sfbridge.matching import scoring
from sfbridge.matching.scoring import TF_COLUMNS, Frequencies


def test_the_pairs_take_the_same_term_frequencies_from_tables_cut_to_their_values():
    """Each pair's tf is its value's share, null for a value no one counted or a null; as a join on the whole table."""
    values = {value: [f"{value}-{n}" for n in range(6)] for value in TF_COLUMNS}
    counts = {
        # Every table holds values no pair shows (cut away), and one pair value is missing from it.
        value: pl.DataFrame({column: values[value][1:], "tf": [0.1, 0.2, 0.3, 0.15, 0.25]})
        for value, column in TF_COLUMNS.items()
    }
    frequencies = Frequencies(counts, dict.fromkeys(TF_COLUMNS, 0.0))
    pairs = pl.DataFrame(
        {column: [values[value][0], values[value][2], None, values[value][2]] for value, column in TF_COLUMNS.items()}
        | {"swapped": [False, False, True, False], "company": ["same", "same", "same", "different"]}
    )
    found = scoring._with_tf(pairs, frequencies)
    expected = pairs
    for value, column in TF_COLUMNS.items():
        expected = expected.join(
            counts[value].rename({"tf": f"tf_{value}"}), on=column, how="left", maintain_order="left"
        )
    for value in TF_COLUMNS:
        tf = f"tf_{value}"
        assert found.get_column(tf).head(1).is_null().all()  # a value no table row holds
        if value in {"first", "last"}:  # a swapped pair's name tf is dropped (see _with_tf)
            assert found.get_column(tf).to_list()[1] == expected.get_column(tf).to_list()[1] == 0.2
        elif value == "company":
            assert found.get_column(tf).to_list() == [None, 0.2, None, None]  # only where companies agree
        else:
            assert found.get_column(tf).to_list() == expected.get_column(tf).to_list() == [None, 0.2, None, 0.2]
