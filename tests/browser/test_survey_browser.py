"""The tablet page in real Chromium, portrait 800×1280 and landscape 1024×768: a surveyor signs
in, finds a village by typing part of its name, answers half (a failed item with its note and a
photo, grade items criterion by criterion), takes the position from the browser, reloads (still
signed in: everything comes back), finishes and submits; the stored submission scores exactly as
the rubric says and as the page showed. Also: touch targets of at least 44 px at 800×1280, and
the score bar stays in view while scrolling."""

from __future__ import annotations

import pytest
from tablet_steps import (
    SURVEYOR,
    WAIT_MS,
    answer_best,
    demo_with_round,
    item,
    jpeg_file,
    net,
    open_village,
    tap,
    total_text,
    wait_saved,
)

from core import config
from survey import store
from survey.rubric import load_rubric
from survey.scoring import partial, score

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory):
    """The demo county with a round open today (the newest, so the sidebar picks it)."""
    path = tmp_path_factory.mktemp("tablet") / "demo.db"
    return path, demo_with_round(path)


@pytest.fixture(scope="module")
def server(serve, survey_db):
    return serve(survey_db[0])


def pick_by_name(steps, page, village) -> None:
    """Type part of the village's name and choose it."""
    picker = page.locator(".st-key-village input")
    picker.click()
    picker.fill(village.name[:-1])
    steps.rerun(page, lambda: page.get_by_role("option", name=f"{village.name} · ").click())
    item(page, "LJ01").wait_for(timeout=WAIT_MS)


def shown_total(rubric, answers) -> str:
    running = partial(rubric, answers)
    text = format(running.total, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@pytest.mark.parametrize(("width", "height", "index"), [(800, 1280, 0), (1024, 768, 1)],
                         ids=["portrait-800x1280", "landscape-1024x768"])
def test_full_assessment_with_photo_and_reload(server, survey_db, new_page, steps, tmp_path,
                                               width, height, index):
    db, rnd = survey_db
    rubric = load_rubric()
    village = store.villages(db, township="429901100")[index]
    page = new_page(width, height, permissions=["geolocation"],
                    geolocation={"longitude": village.lon + 0.001, "latitude": village.lat,
                                 "accuracy": 15})
    page.goto(server + "/")
    steps.sign_in(page, *SURVEYOR[:2])
    pick_by_name(steps, page, village)
    assert page.locator(".st-key-surveyor input").input_value() == SURVEYOR[2]

    # First half: the first item fails, with a note and a photo; the position from the browser.
    failed, *rest = rubric.items
    half = len(rest) // 2
    tap(page, failed.code, "不符合")
    expect(item(page, failed.code).get_by_text("缺情况说明 · 缺照片")).to_be_visible()
    item(page, failed.code).locator("textarea").fill("村口垃圾点无垃圾桶")
    photo = jpeg_file(tmp_path / "IMG_0001.jpg", 2400, 1800)
    item(page, failed.code).locator("input[type=file]").set_input_files(photo)
    expect(item(page, failed.code).get_by_text("已上传")).to_be_visible(timeout=WAIT_MS)
    for it in rest[:half]:
        answer_best(page, it)
    expect(page.get_by_test_id("xf-total")).to_contain_text(f"已答 {half + 1}/")
    page.get_by_test_id("xf-gps").get_by_role("button", name="获取当前位置").click()
    expect(page.get_by_test_id("xf-gps-text")).to_contain_text("精度 15 米")
    wait_saved(page)
    saved = store.load_draft(db, rnd.id, village.code, SURVEYOR[2])
    before = total_text(page)
    assert f"当前得分 {shown_total(rubric, saved['answers'])} 分" in before  # what the server holds

    # A reload in the middle (a tablet that slept): still signed in, the same village open,
    # everything is back.
    page.reload()
    page.get_by_test_id("xf-total").wait_for(timeout=WAIT_MS)
    expect(page.get_by_label("密码")).to_have_count(0)
    expect(page.get_by_test_id("xf-total")).to_have_text(before)
    expect(item(page, failed.code).get_by_role("radio", name="不符合")).to_have_attribute("aria-checked", "true")
    expect(item(page, failed.code).locator("textarea")).to_have_value("村口垃圾点无垃圾桶")
    expect(item(page, failed.code).get_by_text("已上传")).to_be_visible()
    expect(page.get_by_test_id("xf-gps-text")).to_contain_text("精度 15 米")

    # Second half, the veto question, submit.
    for it in rest[half:]:
        answer_best(page, it)
    page.get_by_test_id("xf-veto").get_by_role("radio", name="均未发生").click()
    expect(page.get_by_test_id("xf-total")).to_contain_text(f"已答 {len(rubric.items)}/")
    expect(page.get_by_test_id("xf-todo")).to_have_text("全部填完，可以提交")
    page.get_by_test_id("xf-submit").click()
    done = page.get_by_test_id("xf-done")
    expect(done).to_contain_text(f"已提交 {village.name}", timeout=WAIT_MS)

    stored = next(r for r in store.round_results(db, rnd.id) if r.village.code == village.code)
    row = store.submission(db, stored.submission_id)
    expected = score(rubric, row["answers"], row["veto"])
    assert row["total"] == expected.total == rubric.total - failed.points
    assert row["surveyor"] == SURVEYOR[2] and row["notes"] == {failed.code: "村口垃圾点无垃圾桶"}
    assert row["gps_accuracy_m"] == 15
    assert f"总分 {expected.total.normalize():f} 分" in done.inner_text()
    assert [p.item_code for p in store.submission_photos(db, stored.submission_id)] == [failed.code]
    assert store.load_draft(db, rnd.id, village.code, SURVEYOR[2]) is None
    # the page reran for the picker's counts: one more village done this round
    done_now = sum(1 for s in store.round_progress(db, rnd.id, SURVEYOR[2]).values() if s == "submitted")
    expect(page.get_by_text("本轮：已完成")).to_contain_text(f"已完成 {done_now} 个", timeout=WAIT_MS)
    picker = page.locator(".st-key-village input")  # its label is current: this submit, not the one before
    expect(picker).to_have_value(f"{village.name} · 已完成", timeout=WAIT_MS)

    # "重新测评本村" reopens the same village (a new assessment), the picker keeps it.
    done.get_by_role("button", name="重新测评本村").click()
    expect(done).to_be_hidden()
    expect(page.get_by_test_id("xf-total")).to_contain_text(f"已答 0/{len(rubric.items)}")
    expect(picker).to_have_value(f"{village.name} · 已完成")
    tap(page, failed.code, "符合")
    wait_saved(page)
    again = store.load_draft(db, rnd.id, village.code, SURVEYOR[2])
    assert again["answers"] == {failed.code: True} and again["id"] != stored.submission_id
    page.reload()  # and a reload keeps it open
    expect(item(page, failed.code).get_by_role("radio", name="符合", exact=True)).to_have_attribute(
        "aria-checked", "true", timeout=WAIT_MS)
    expect(picker).to_have_value(f"{village.name} · 已完成")
    assert page.errors == []


def test_touch_targets_are_at_least_44_px_and_the_score_stays_in_view(server, survey_db, new_page, steps):
    db, _rnd = survey_db
    village = store.villages(db, township="429901100")[2]
    page = new_page(800, 1280)
    page.goto(server + "/")
    steps.sign_in(page, *SURVEYOR[:2])
    open_village(page, server, village.code)
    rubric = load_rubric()
    count = next(i for i in rubric.items if i.type == "count")
    tap(page, rubric.items[0].code, "不符合")  # a finding: its note and photo button show
    page.get_by_test_id("xf-veto").get_by_role("radio", name="有发生").click()
    item(page, count.code).get_by_role("button", name="加一").click()
    sizes = page.evaluate("""() => {
      const root = document.querySelector('[data-testid=stBidiComponentIsolated]').shadowRoot;
      const small = [];
      const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
      for (const el of root.querySelectorAll('button, input, textarea, summary, label.button')) {
        if (!seen(el) || (el.tagName === 'INPUT' && el.type === 'file')) continue;
        const r = el.getBoundingClientRect();
        const name = el.textContent || el.getAttribute('aria-label');
        if (r.height < 44 || r.width < 44) small.push([el.tagName, name, r.width, r.height]);
      }
      const pickers = '[data-baseweb=select] > div, .stTextInput input, [data-testid=stExpander] summary';
      for (const el of document.querySelectorAll(pickers)) {
        if (!seen(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.height < 44) small.push(['streamlit', el.className, r.width, r.height]);
      }
      return small;
    }""")
    assert sizes == []
    counted = {"clear": item(page, count.code).get_by_role("button", name=f"清除 {count.code}"),
               "minus": item(page, count.code).get_by_role("button", name="减一")}
    for control in counted.values():
        box = control.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    # the score bar stays in view at the bottom of the checklist
    page.get_by_test_id("xf-submit").scroll_into_view_if_needed()
    bar = page.get_by_test_id("xf-total").bounding_box()
    assert 0 <= bar["y"] <= 200, bar
    expect(net(page)).to_have_attribute("data-link", "online", timeout=WAIT_MS)
    assert page.errors == []


def test_a_grade_item_by_criteria_a_document_finding_and_the_offices_veto(server, survey_db, new_page, steps):
    """Officer (issue 18) on the tablet: the office's confirmed veto is shown above everything
    before anything is answered; a grade item answered criterion by criterion gets its grade by
    the rule; a finding of a document item asks a note, no photo; the surveyor's own veto is a
    report. The submission keeps the unmet criteria and the report; the office's veto applies."""
    from builders import admin

    from survey import vetoes
    from ui.text import TEXT

    db, rnd = survey_db
    rubric = load_rubric()
    village = store.villages(db, township="429901100")[-1]
    confirmed, suspected = rubric.veto[0], rubric.veto[1]
    vetoes.add(db, admin(), village.code, confirmed.code, config.today().isoformat(), "县公安局", "示公刑〔2026〕9号")
    page = new_page(800, 1280)
    page.goto(server + "/")
    steps.sign_in(page, *SURVEYOR[:2])
    open_village(page, server, village.code)
    office = page.get_by_test_id("xf-office-veto")
    expect(office).to_contain_text(f"{confirmed.code} {confirmed.name}")
    expect(office).to_contain_text("示公刑〔2026〕9号")
    expect(page.get_by_test_id("xf-office-applies")).to_be_visible()
    expect(page.get_by_test_id("xf-veto-reported")).to_be_hidden()
    assert office.bounding_box()["y"] < item(page, rubric.items[0].code).bounding_box()["y"]

    grade = next(i for i in rubric.items if i.type == "grade" and not i.needs_photo and len(i.criteria) >= 2)
    box = item(page, grade.code)
    for k in range(len(grade.criteria)):
        box.get_by_test_id(f"xf-criterion-{grade.code}-{k}").get_by_role(
            "radio", name="不符合" if k == 0 else "符合", exact=True).click()
    expect(page.get_by_test_id(f"xf-grade-{grade.code}")).to_contain_text(f"等级 {grade.grade_names[1]}")
    expect(box.locator(".evidence-label")).to_have_text(TEXT[f"sv_evidence_{grade.evidence}"][0])
    expect(box.get_by_text("缺情况说明")).to_be_visible()
    expect(box.get_by_text("缺照片")).to_have_count(0)
    box.locator("textarea").fill("未见议事记录")
    for it in rubric.items:
        if it.code != grade.code:
            answer_best(page, it)
    veto = page.get_by_test_id("xf-veto")
    veto.get_by_role("radio", name="有发生").click()
    veto.get_by_role("checkbox", name=f"{suspected.code} {suspected.name}").click()
    expect(page.get_by_test_id("xf-veto-reported")).to_be_visible()
    expect(page.get_by_test_id("xf-todo")).to_have_text("全部填完，可以提交")
    page.get_by_test_id("xf-submit").click()
    done = page.get_by_test_id("xf-done")
    expect(done).to_contain_text("一票否决", timeout=WAIT_MS)

    stored = next(r for r in store.round_results(db, rnd.id) if r.village.code == village.code)
    row = store.submission(db, stored.submission_id)
    assert row["answers"][grade.code] == grade.grade_names[1] and row["unmet_numbers"][grade.code] == [1]
    assert row["reported"] == [suspected.code] and stored.veto == (confirmed.code,) and not stored.passed
    assert store.submission_photos(db, stored.submission_id) == []
    assert page.errors == []
