import numpy as np
import pandas as pd

from shared.training.features import CATEGORY_CODES, FEATURES, RAW_COLUMNS, clean, prepare, split


def _raw(rows):
    return pd.DataFrame(rows, columns=list(RAW_COLUMNS))


def test_clean_decodes_codes_marks_missing_and_drops_unknown_status():
    raw = _raw(
        [
            [1, 9, 1, 60, 30, 2, 1, 3, 73, 129, 0, 0, 800, 846],
            [2, 10, 2, 36, 46, 2, 2, 3, 90, 99999999, 99999999, 99999999, 2000, 2985],
            [0, 1, 5, 12, 20, 1, 1, 1, 35, 100, 0, 0, 100, 200],
        ]
    )
    df = clean(raw)
    assert len(df) == 2  # status 0 (unk) dropped
    assert list(df["status"]) == ["ok", "default"]
    assert list(df["home"]) == ["rent", "owner"]
    assert list(df["job"]) == ["freelance", "freelance"]
    assert list(df["records"]) == ["no", "yes"]
    assert df.loc[1, ["income", "assets", "debt"]].isna().all()
    assert df.loc[0, "income"] == 129


def test_category_maps_are_the_courses():
    assert CATEGORY_CODES["home"][2] == "owner" and CATEGORY_CODES["home"][4] == "ignore"
    assert CATEGORY_CODES["marital"][5] == "divorced"
    assert CATEGORY_CODES["job"][2] == "partime"


def test_split_is_60_20_20_deterministic_and_filled(splits):
    n = len(splits.train) + len(splits.val) + len(splits.test)
    assert abs(len(splits.train) / n - 0.6) < 0.01
    assert abs(len(splits.val) / n - 0.2) < 0.01
    assert abs(len(splits.test) / n - 0.2) < 0.01
    for frame in (splits.train, splits.val, splits.test):
        assert "status" not in frame.columns
        assert not frame.isna().any().any()
        assert set(frame.columns) == set(FEATURES)
    assert set(np.unique(splits.y_train)) == {0, 1}


def test_split_matches_a_second_run(settings):
    from shared.training.data import load_raw

    raw = load_raw(settings).frame
    a, b = prepare(raw), split(clean(raw))
    pd.testing.assert_frame_equal(a.test, b.test)
    assert (a.y_val == b.y_val).all()


def test_records_are_plain_python(test_rows):
    row = test_rows[0]
    assert set(row) == set(FEATURES)
    assert all(type(v) in (int, float, str) for v in row.values())
