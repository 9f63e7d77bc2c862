"""The tablet on a link that comes and goes, in real Chromium. The browser reaches the app through
a TCP proxy of the test's own (tests/browser/netproxy.py) that cuts every connection, the
WebSocket included, and refuses new ones until it is restored — as a dead 4G link does, and as
Playwright's set_offline does not (it leaves an open WebSocket alive).

- Ten answers with the link down, a reload (which fails: no link), the link back, the page
  loaded again: all ten are stored exactly once, Streamlit's English "Connection error" box never
  covers the work, the banner says in Chinese how many wait and when all are saved.
- What the server refuses from the queue (a village submitted and returned meanwhile, a queue
  tampered with in the browser) comes back as messages; nothing it should not accept is stored.
- Photos: a 12-megapixel photo on a 750 kbit/s link (Chromium's own throttling) goes up as a
  copy of at most 1,600 px (sent bytes under what 10 s of that link carry), upright by its EXIF,
  with the original's SHA-256 and progress shown; a file that is no photo, or has too many
  pixels, is refused in the browser with a message and nothing is sent.
- Tap-to-score with 400 ms of added latency is measured and printed (a benchmark figure:
  bench/bench_tablet.py; never asserted)."""

from __future__ import annotations

import hashlib
import io
import re
import statistics
import time
from urllib.parse import urlsplit

import pytest
from netproxy import NetProxy
from PIL import Image
from tablet_steps import (
    SURVEYOR,
    WAIT_MS,
    cdp_network,
    demo_with_round,
    item,
    jpeg_file,
    net,
    open_village,
    tap,
    wait_saved,
)

from survey import auth, fieldwork, review, store
from survey.rubric import load_rubric

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def tablet_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("offline") / "demo.db"
    return path, demo_with_round(path)


@pytest.fixture(scope="module")
def server(serve, tablet_db):
    return serve(tablet_db[0])


@pytest.fixture
def link(server):
    """The proxy between the browser and the app: ``link.url`` to browse, ``cut()``/``restore()``."""
    proxy = NetProxy(urlsplit(server).port).start()
    yield proxy
    proxy.stop()


def signed_in(new_page, steps, link, width=800, height=1280):
    page = new_page(width, height)
    page.goto(link.url + "/")
    steps.sign_in(page, *SURVEYOR[:2])
    return page


def villages(db):
    return store.villages(db, township="429901100")


def saves_of(db, code: str) -> dict[str, int]:
    """Item code -> how many audited saves of the village's draft changed its answer."""
    counts: dict[str, int] = {}
    for row in store.audit_rows(db, village=code):
        if row["action"] == "draft.save":
            for key in (row["after"] or {}):
                if key.startswith("answers."):
                    counts[key[8:]] = counts.get(key[8:], 0) + 1
    return counts


def test_ten_answers_with_the_link_down_survive_a_reload_and_are_stored_once(tablet_db, link, new_page, steps):
    db, rnd = tablet_db
    village = villages(db)[3]
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    checks = [i for i in load_rubric().items if i.type == "check"][:10]
    wait_saved(page)

    link.cut()
    for n, it in enumerate(checks):
        tap(page, it.code, "符合" if n % 3 else "不符合")  # a tap counts at once, link or no link
        expect(page.get_by_test_id("xf-total")).to_contain_text(f"已答 {n + 1}/")
    banner = net(page)
    expect(banner).to_have_attribute("data-link", "offline", timeout=WAIT_MS)
    expect(banner).to_contain_text("网络中断：10 条答案已保存在本平板")
    # Streamlit's own English box does not cover the work, and nothing is inert
    expect(page.get_by_text("Connection error")).to_have_count(0)
    expect(page.get_by_test_id("stDialog")).to_be_hidden()
    assert store.load_draft(db, rnd.id, village.code, SURVEYOR[2]) is None  # nothing arrived

    with pytest.raises(sync_api.Error):  # a reload with no link: the browser's own error page
        page.reload()
    expect(page).to_have_url(re.compile(r"^chrome-error://"), timeout=WAIT_MS)
    link.restore()
    open_village(page, link.url, village.code)  # the page loads again: the queue is still there
    wait_saved(page)
    expect(banner).to_have_text("网络已恢复：全部答案已保存到服务器")
    saved = store.load_draft(db, rnd.id, village.code, SURVEYOR[2])
    assert saved["answers"] == {it.code: bool(n % 3) for n, it in enumerate(checks)}
    assert saves_of(db, village.code) == {it.code: 1 for it in checks}  # each stored exactly once
    for n, it in enumerate(checks):
        expect(item(page, it.code).get_by_role("radio", name="符合" if n % 3 else "不符合", exact=True)
               ).to_have_attribute("aria-checked", "true")
    assert page.errors == []


def test_answers_queued_for_a_village_returned_meanwhile_are_refused_with_a_message(tablet_db, link, new_page, steps):
    """The tablet goes offline with the village open; meanwhile the village is submitted from
    another tablet and returned by the office. The queued answers are refused, nothing is stored,
    the surveyor reads why; the checklist moves on to the village's current draft."""
    db, rnd = tablet_db
    village = villages(db)[4]
    rubric = load_rubric()
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    first = rubric.items[0].code
    tap(page, first, "符合")
    wait_saved(page)
    draft_id = store.load_draft(db, rnd.id, village.code, SURVEYOR[2])["id"]

    link.cut()
    tap(page, first, "不符合")
    expect(net(page)).to_have_attribute("data-link", "offline", timeout=WAIT_MS)
    me = auth.get_user(db, "surveyor")  # the other tablet finishes and submits; the office returns it
    ops = [{"seq": 10**14 + n, "kind": "answer", "item": i.code, "value": True if i.type == "check" else 0}
           for n, i in enumerate(rubric.items) if i.type != "grade"]
    ops += [{"seq": 10**14 + 1000 + 10 * n + k, "kind": "criterion", "item": i.code, "index": k, "value": True}
            for n, i in enumerate(rubric.items) if i.type == "grade" for k in range(len(i.criteria))]
    ops.append({"seq": 10**14 + 9999, "kind": "veto", "item": "", "value": []})
    fieldwork.sync(db, me, rubric, rnd.id, village.code, SURVEYOR[2], draft_id, ops)
    assert fieldwork.submit_draft(db, me, rubric, rnd.id, village.code, SURVEYOR[2], draft_id).added
    review.return_(db, auth.get_user(db, "reviewer"), draft_id, "请补拍照片")

    link.restore()
    notices = page.get_by_test_id("xf-notices")
    expect(notices).to_contain_text("本村的提交已被县文明办退回", timeout=WAIT_MS)
    wait_saved(page)
    assert store.submission(db, draft_id)["answers"][first] is True  # the late answer changed nothing
    assert store.load_draft(db, rnd.id, village.code, SURVEYOR[2]) is None
    expect(page.get_by_test_id("xf-total")).to_contain_text("已答 0/")  # the village's current draft
    assert page.errors == []


def test_a_queue_tampered_with_in_the_browser_is_refused_item_by_item(tablet_db, link, new_page, steps):
    db, rnd = tablet_db
    village = villages(db)[5]
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    good = load_rubric().items[0].code
    link.cut()
    tap(page, good, "符合")
    expect(net(page)).to_have_attribute("data-link", "offline", timeout=WAIT_MS)
    page.evaluate("""(code) => {
      const key = Object.keys(localStorage).find(k => k.startsWith('xf-tablet|') && k.endsWith('|' + code + '|王芳'));
      const record = JSON.parse(localStorage.getItem(key));
      const draft = record.queue[0].draft;
      record.queue.push({seq: Date.now() + 5, kind: 'answer', item: 'ZZ99', value: true, draft});
      record.queue.push({seq: Date.now() + 6, kind: 'answer', item: 'LJ03', value: 'yes', draft});
      localStorage.setItem(key, JSON.stringify(record));
    }""", village.code)
    link.restore()
    notices = page.get_by_test_id("xf-notices")
    expect(notices).to_contain_text("未知的测评项目 ZZ99", timeout=WAIT_MS)
    expect(notices).to_contain_text("项目 LJ03 应为 true/false")
    wait_saved(page)
    assert store.load_draft(db, rnd.id, village.code, SURVEYOR[2])["answers"] == {good: True}


def _exif_turned() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # held upright: the sensor's picture is turned a quarter
    exif[0x8769] = {0x9003: "2026:07:02 10:15:33"}
    return exif


def test_a_12_megapixel_photo_goes_up_small_upright_and_hashed_on_a_slow_link(tablet_db, link, new_page, steps,
                                                                              tmp_path):
    db, rnd = tablet_db
    village = villages(db)[6]
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    code = load_rubric().items[0].code
    tap(page, code, "不符合")
    wait_saved(page)
    original = jpeg_file(tmp_path / "IMG_4000.jpg", 4000, 3000, noise=True, exif=_exif_turned())
    assert original.stat().st_size > 4_000_000
    cdp_network(page, latency_ms=150, kbit_s=750)  # Chromium's own throttling, both ways
    started = time.perf_counter()
    with page.expect_response(lambda r: "/tablet/photo?" in r.url, timeout=WAIT_MS) as answer:
        item(page, code).locator("input[type=file]").set_input_files(original)
        expect(item(page, code).get_by_text("上传中")).to_be_visible(timeout=WAIT_MS)  # progress shown
    elapsed = time.perf_counter() - started
    assert answer.value.status == 200
    sent = answer.value.json()["received"]  # the bytes that crossed the link
    expect(item(page, code).get_by_text("已上传")).to_be_visible(timeout=WAIT_MS)
    print(f"\n12 MP photo ({original.stat().st_size / 1e6:.1f} MB) at 750 kbit/s: {sent / 1024:.0f} KB sent, "
          f"{elapsed:.1f} s from choosing it to stored")
    assert 100_000 < sent <= 750_000 / 8 * 10  # what 10 s of a 750 kbit/s link carry
    [stored] = store.draft_photos(db, rnd.id, village.code, SURVEYOR[2])
    assert stored.sha256 == hashlib.sha256(original.read_bytes()).hexdigest()  # the original's
    assert (stored.width, stored.height) == (1200, 1600)  # upright by its EXIF, long side 1,600
    assert page.errors == []


def test_a_file_that_is_no_photo_or_has_too_many_pixels_is_refused_before_it_is_sent(tablet_db, link, new_page,
                                                                                     steps, tmp_path):
    db, rnd = tablet_db
    village = villages(db)[7]
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    code = load_rubric().items[0].code
    tap(page, code, "不符合")
    wait_saved(page)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/tablet/photo?" in r.url else None)
    text = tmp_path / "notes.jpg"
    text.write_text("这不是照片", encoding="utf-8")
    huge = tmp_path / "huge.png"
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 MP (over 67), a few kilobytes
    huge.write_bytes(out.getvalue())
    item(page, code).locator("input[type=file]").set_input_files([text, huge])
    notices = page.get_by_test_id("xf-notices")
    expect(notices).to_contain_text("“notes.jpg”不是照片", timeout=WAIT_MS)
    expect(notices).to_contain_text("“huge.png”有 81.0 百万像素（9000×9000），超过 67.1 百万像素的上限")
    expect(net(page)).to_have_attribute("data-photos", "0")
    assert sent == [] and store.draft_photos(db, rnd.id, village.code, SURVEYOR[2]) == []


def test_tap_to_score_with_400_ms_of_latency_is_measured(tablet_db, link, new_page, steps):
    """A benchmark figure, printed (bench/bench_tablet.py runs it at length): the time from a tap
    to the new score on the page, with Chromium's network emulation adding 400 ms to every
    request. Nothing about speed is asserted; that the score does not wait for the server is
    (the server has not answered yet when the score has changed)."""
    db, _rnd = tablet_db
    village = villages(db)[8]
    page = signed_in(new_page, steps, link)
    open_village(page, link.url, village.code)
    cdp_network(page, latency_ms=400)
    checks = [i for i in load_rubric().items if i.type == "check"][:8]
    times = []
    for n, it in enumerate(checks):
        result = page.evaluate(TAP_TO_SCORE, [it.code, "符合" if n % 2 else "不符合"])
        assert result["changed"] and result["waiting"] >= 1, result  # scored before any answer came back
        times.append(result["ms"])
    wait_saved(page)
    print(f"\ntap-to-score with 400 ms latency: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms over {len(times)} taps")


#: In the page: tap an item's answer and time until the score bar shows the new text.
TAP_TO_SCORE = """async ([code, label]) => {
  const root = document.querySelector('[data-testid=stBidiComponentIsolated]').shadowRoot;
  const total = root.querySelector('[data-testid=xf-total]');
  const banner = root.querySelector('[data-testid=xf-net]');
  const radios = root.querySelectorAll(`[data-testid=xf-item-${code}] [role=radio]`);
  const button = [...radios].find(b => b.textContent === label);
  const before = total.textContent;
  const start = performance.now();
  button.click();
  await new Promise(requestAnimationFrame);  // the frame that shows it
  return {ms: performance.now() - start, changed: total.textContent !== before,
          waiting: Number(banner.dataset.waiting)};
}"""
