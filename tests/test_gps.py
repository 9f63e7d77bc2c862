"""Position of the surveyor: browser answers, manual entry, accuracy and distance warnings."""

import pytest

from core.errors import DataError
from core.model import Village
from survey import gps

VILLAGE = Village(code="429901100001", name="李庄村", township_code="429901100", township="城关镇",
                  county_code="429901", county="示范县", lon=113.9, lat=30.6)
#: The shipped settings (data/settings.yaml): 100 m, 3 km.
LIMITS = {"accuracy_limit_m": 100.0, "distance_limit_m": 3000.0}


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert gps.haversine_m(113.9, 30.0, 113.9, 31.0) == pytest.approx(111_195, rel=1e-3)
    assert gps.haversine_m(113.9, 30.6, 113.9, 30.6) == 0


def test_browser_answer_becomes_a_fix_with_accuracy():
    value = {"coords": {"latitude": 30.601, "longitude": 113.902, "accuracy": 12.5}, "timestamp": 1}
    assert gps.from_browser(value) == gps.Fix(113.902, 30.601, 12.5, "browser")
    assert gps.from_browser(None) is None  # the browser has not answered yet


def test_browser_refusal_is_reported():
    refused = gps.from_browser({"error": {"code": 1, "message": "User denied Geolocation"}})
    assert refused == gps.Refused(1, "User denied Geolocation")


def test_good_fix_near_the_village_gives_no_warning():
    assert gps.check(gps.Fix(113.905, 30.605, 8.0, "browser"), VILLAGE, **LIMITS) == []


def test_poor_accuracy_and_distance_are_warned_in_chinese():
    far = gps.Fix(113.9, 30.64, 250.0, "browser")  # about 4.4 km north
    warnings = gps.check(far, VILLAGE, **LIMITS)
    assert [w.key for w in warnings] == ["gps_accuracy", "gps_distance"]
    assert "250 米" in warnings[0].message
    assert "4.4 公里" in warnings[1].message


def test_the_limits_are_the_countys_and_the_message_names_them():
    far = gps.Fix(113.9, 30.64, 250.0, "browser")  # about 4.4 km north, 250 m accuracy
    assert gps.check(far, VILLAGE, accuracy_limit_m=300, distance_limit_m=5000) == []
    warnings = gps.check(far, VILLAGE, accuracy_limit_m=50, distance_limit_m=2500)
    assert "差于 50 米" in warnings[0].message and "超过 2.5 公里" in warnings[1].message


def test_limits_are_exclusive():
    at_limit = gps.Fix(113.9, 30.6, 100.0, "browser")
    assert gps.check(at_limit, VILLAGE, **LIMITS) == []
    edge = gps.Fix(113.9, 30.6 + 2990 / 111_195, None, "manual")
    assert gps.check(edge, VILLAGE, **LIMITS) == []


def test_manual_entry_checks_the_range_and_has_no_accuracy():
    assert gps.manual(113.91, 30.62) == gps.Fix(113.91, 30.62, None, "manual")
    with pytest.raises(DataError) as exc:
        gps.manual(30.62, 113.91)  # swapped
    assert [p.key for p in exc.value.problems] == ["lon_range", "lat_range"]


def test_fix_round_trips_through_a_draft_payload():
    fix = gps.Fix(113.91, 30.62, 15.0, "browser")
    assert gps.Fix.from_dict(fix.to_dict()) == fix
    assert gps.Fix.from_dict(None) is None
