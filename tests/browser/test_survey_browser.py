"""The tablet page in real Chromium, portrait 800×1280 and landscape 1024×768: a surveyor signs
in, finds a village by typing part of its name, answers half, takes a photo of a failed item and
the position from the browser, reloads (still signed in: the draft comes back), finishes and
submits; the stored submission scores exactly as the rubric says."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PIL import Image

from survey import auth, service, store
from core.model import Round
from survey.rubric import load_rubric
from survey.scoring import score

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

#: A round under way today (a submission is dated today, and must lie within its round).
ROUND = Round("2026-B4", "第四次双月测评", (date.today() - timedelta(days=30)).isoformat(),
              (date.today() + timedelta(days=30)).isoformat())
SURVEYOR = ("surveyor", "demo-survey", "王芳")  # a demo account (城关镇 is one of its townships)


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory):
    """The demo county with a new round (the newest, so the sidebar picks it): all to do."""
    path = tmp_path_factory.mktemp("tablet") / "demo.db"
    service.load_demo(path, auth.operator())
    store.create_round(path, ROUND)
    return path


@pytest.fixture(scope="module")
def server(serve, survey_db):
    return serve(survey_db)


def item(page, code):
    return page.locator(f".st-key-sv_item_{code}")


def answer(steps, page, it) -> None:
    """The best answer of an item, by tapping (a grade item: each criterion) or typing 0 for a count."""
    box = item(page, it.code)
    if it.type == "check":
        steps.rerun(page, lambda: box.get_by_role("radio", name="符合", exact=True).click())
    elif it.type == "grade":  # criterion by criterion: every one met gives the best grade
        for n in range(1, len(it.criteria) + 1):
            criterion = page.locator(f".st-key-sv_criterion_{it.code}_{n}")
            steps.rerun(page, lambda c=criterion: c.get_by_role("radio", name="符合", exact=True).click())
    else:
        field = box.locator("input")
        steps.rerun(page, lambda: (field.fill("0"), field.press("Enter")))


def open_village(steps, page, village) -> None:
    """Type part of the village's name and choose it."""
    picker = page.locator(".st-key-village input")
    picker.click()
    picker.fill(village.name[:-1])
    steps.rerun(page, lambda: page.get_by_role("option", name=f"{village.name} · ").click())
    item(page, "LJ01").wait_for()


def total(page) -> str:
    return page.locator("[class*='st-key-sv_total']").inner_text()


@pytest.mark.parametrize(("width", "height", "index"), [(800, 1280, 0), (1024, 768, 1)],
                         ids=["portrait-800x1280", "landscape-1024x768"])
def test_full_assessment_with_photo_and_reload(server, survey_db, new_page, steps, tmp_path,
                                               width, height, index):
    rubric = load_rubric()
    village = store.villages(survey_db, township="429901100")[index]
    page = new_page(width, height, permissions=["geolocation"],
                    geolocation={"longitude": village.lon + 0.001, "latitude": village.lat,
                                 "accuracy": 15})
    page.goto(server + "/")
    steps.sign_in(page, *SURVEYOR[:2])
    open_village(steps, page, village)
    assert page.locator(".st-key-surveyor input").input_value() == SURVEYOR[2]

    # First half: the first item fails, with a note and a photo; the position from the browser.
    failed, *rest = rubric.items
    half = len(rest) // 2
    steps.rerun(page, lambda: item(page, failed.code).get_by_role("radio", name="不符合").click())
    note = item(page, failed.code).locator("textarea")
    steps.rerun(page, lambda: (note.fill("村口垃圾点无垃圾桶"), note.blur()))
    photo = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (2400, 1800), (70, 110, 60)).save(photo, "JPEG")
    upload = item(page, failed.code).locator("input[type=file]")
    steps.rerun(page, lambda: upload.set_input_files(photo))
    expect(item(page, failed.code).locator("img")).to_have_count(1)
    for it in rest[:half]:
        answer(steps, page, it)
    expect(page.locator("[class*='st-key-sv_total']")).to_contain_text(f"已答 {half + 1}/")
    steps.rerun(page, lambda: page.get_by_role("button", name="获取当前位置").click())
    expect(page.get_by_text("精度 15 米")).to_be_visible()
    before = total(page)

    # A reload in the middle (a tablet that slept): still signed in, the same village open,
    # everything is back.
    page.reload()
    item(page, "LJ01").wait_for()
    steps.wait_idle(page)
    expect(page.get_by_label("密码")).to_have_count(0)
    assert total(page) == before
    not_met = item(page, failed.code).get_by_role("radio", name="不符合")
    expect(not_met).to_have_attribute("aria-checked", "true")
    expect(item(page, failed.code).locator("textarea")).to_have_value("村口垃圾点无垃圾桶")
    expect(item(page, failed.code).locator("img")).to_have_count(1)
    expect(page.get_by_text("精度 15 米")).to_be_visible()

    # Second half, the veto question, submit.
    for it in rest[half:]:
        answer(steps, page, it)
    steps.rerun(page, lambda: page.get_by_role("radio", name="均未发生").click())
    expect(page.locator("[class*='st-key-sv_total']")).to_contain_text(f"已答 {len(rubric.items)}/")
    steps.rerun(page, lambda: page.get_by_role("button", name="提交测评结果").click())
    done = page.get_by_text(f"已提交 {village.name}")
    expect(done).to_be_visible()

    stored = [r for r in store.round_results(survey_db, ROUND.id) if r.village.code == village.code][0]
    row = store.submission(survey_db, stored.submission_id)
    expected = score(rubric, row["answers"], row["veto"])
    assert row["total"] == expected.total == rubric.total - failed.points
    assert row["surveyor"] == SURVEYOR[2] and row["notes"] == {failed.code: "村口垃圾点无垃圾桶"}
    assert row["gps_accuracy_m"] == 15
    assert f"总分 {expected.total.normalize():f} 分" in done.inner_text()
    assert [p.item_code for p in store.submission_photos(survey_db, stored.submission_id)] == [failed.code]
    assert store.load_draft(survey_db, ROUND.id, village.code, SURVEYOR[2]) is None
    assert page.errors == []
