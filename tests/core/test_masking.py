import pandas as pd

from core import masking


def test_pseudonyms_are_stable_keyed_and_hide_the_value():
    a = masking.pseudonym("Meter", "m-0001", "salt")
    assert a == masking.pseudonym("Meter", "m-0001", "salt")
    assert a.startswith("Meter ") and "0001" not in a
    assert a != masking.pseudonym("Meter", "m-0002", "salt")
    assert a != masking.pseudonym("Meter", "m-0001", "other salt")


def test_mask_frame_names_follow_their_ids():
    df = pd.DataFrame(
        {
            "account_id": ["acc-01", "acc-01"],
            "account_name": ["Acme", "Acme"],
            "meter_id": ["m1", "m2"],
            "value": [1.0, 2.0],
        }
    )
    out = masking.mask_frame(df, "s")
    assert out.account_id.tolist() == out.account_name.tolist()
    assert "Acme" not in out.to_string() and "acc-01" not in out.to_string()
    assert out.meter_id.nunique() == 2
    assert out.value.tolist() == [1.0, 2.0]
    assert df.account_name[0] == "Acme"  # the input is untouched
