"""Every user-facing string of the app, Chinese first, English alongside; and the one rule by
which text from data reaches the page: as text, never as Markdown.

``t("key", **fields)`` returns the text in the language chosen in the sidebar (Chinese by
default) as :class:`Md`, Markdown source that is safe to render: the catalogue's own text as
written, every field escaped by :func:`md` (a field that is :class:`Md` already, a nested
``t()``, is kept). Streamlit renders Markdown almost everywhere: ``st.markdown``, captions,
titles, alerts, toasts, expander, tab, button and widget labels, ``help`` tooltips, image
captions, metric labels *and values*, and the options of ``st.radio``, ``st.pills`` and
``st.segmented_control``. The places that show plain text (``st.dataframe`` cells,
``st.selectbox``/``st.multiselect`` options, ``st.code``, placeholders) take :func:`plain`,
which formats without escaping. ``tests/test_text_safety.py`` reads every page and part of the
UI and fails on a Markdown place fed anything but ``t()``, ``md()`` or a literal.
Pages never spell user-facing text themselves.
"""

from __future__ import annotations

import re

import streamlit as st

from core.errors import Problem, SurveyError
from ui import keys

TEXT: dict[str, tuple[str, str]] = {
    # --- shell ---------------------------------------------------------------------------------
    "app_title": ("乡风 · 文明村镇测评", "Xiangfeng · civilized-village assessment"),
    "lang_label": ("语言 / Language", "语言 / Language"),
    "round_label": ("测评轮次", "Round"),
    "no_county": ("名录中还没有村庄，请先在“设置”页导入村庄名录", "No villages yet: import the village list on the Setup page"),
    "county_label": ("县", "County"),
    "no_round": ("尚无测评轮次，请在“设置”页新建", "No round yet: open one on the Setup page"),
    "db_label": ("数据库", "Database"),
    "demo_banner": ("演示数据：虚构的县，仅供试用", "Demo data: a fictional county, for trying out"),
    "nav_setup": ("设置", "Setup"),
    "nav_survey": ("实地测评", "Survey"),
    "nav_map": ("地图", "Map"),
    "nav_dashboard": ("目标达成", "Targets"),
    "nav_export": ("上报省级", "Provincial export"),
    "group_field": ("测评", "Field"),
    "group_office": ("县文明办", "County office"),
    # --- setup page ----------------------------------------------------------------------------
    "setup_title": ("设置：村庄名录、测评轮次、测评细则", "Setup: village list, rounds, rubric"),
    "setup_registry": ("村庄名录", "Village list"),
    "setup_registry_help": (
        "上传 CSV（UTF-8 或 GBK）、Excel、GeoJSON 或压缩的 Shapefile。有任何错误时整个文件都不会写入。",
        "Upload CSV (UTF-8 or GBK), Excel, GeoJSON or a zipped Shapefile. Nothing is written when any row is wrong.",
    ),
    "setup_upload": ("选择村庄名录文件", "Choose the village list file"),
    "setup_import": ("导入", "Import"),
    "setup_errors": ("文件有 {n} 处问题，未导入任何数据：", "The file has {n} problems; nothing was imported:"),
    "setup_imported": (
        "已导入：新增 {added} 个村，更新 {updated} 个，未变 {unchanged} 个",
        "Imported: {added} villages added, {updated} updated, {unchanged} unchanged",
    ),
    "setup_counts": (
        "名录中共有 {counties} 个县、{townships} 个乡镇、{villages} 个村",
        "The registry holds {counties} counties, {townships} townships, {villages} villages",
    ),
    "setup_rounds": ("测评轮次", "Rounds"),
    "setup_round_id": ("轮次编号（如 2026-B3）", "Round id (e.g. 2026-B3)"),
    "setup_round_name": ("名称", "Name"),
    "setup_round_start": ("开始日期", "Start date"),
    "setup_round_end": ("结束日期", "End date"),
    "setup_round_create": ("新建轮次", "Open round"),
    "setup_round_kind": ("类型", "Kind"),
    "setup_round_cadence": ("节奏（可选）", "Cadence (optional)"),
    "setup_round_cadence_hint": ("如：双月测评、单月讲评", "e.g. bimonthly assessment"),
    "setup_round_counts": ("计入称号与目标", "Counts toward titles and targets"),
    "setup_round_counts_help": (
        "模拟测评不计入；例行、暗访、复查默认计入", "A mock round never counts; regular, unannounced and re-inspection rounds do by default"),
    "round_kind_regular": ("例行测评", "Regular"),
    "round_kind_unannounced": ("暗访", "Unannounced"),
    "round_kind_mock": ("模拟测评", "Mock"),
    "round_kind_recheck": ("复查", "Re-inspection"),
    "col_round_kind": ("类型", "Kind"),
    "col_round_cadence": ("节奏", "Cadence"),
    "col_round_counts": ("计入目标", "Counts"),
    "col_rubric_version": ("细则版本", "Rubric version"),
    "setup_round_created": ("已新建轮次 {id}", "Round {id} opened"),
    "setup_rubric": ("测评细则", "Rubric"),
    "setup_rubric_summary": (
        "满分 {total} 分，{pass_mark} 分及以上且无一票否决事项为达标",
        "Total {total} points; a village passes at {pass_mark} or more with no veto",
    ),
    "setup_veto": ("一票否决事项", "Veto items"),
    "col_code": ("编码", "Code"),
    "col_item": ("项目", "Item"),
    "col_type": ("类型", "Type"),
    "col_points": ("分值", "Points"),
    "col_rule": ("计分方法", "Scoring"),
    "type_check": ("符合/不符合", "met / not met"),
    "type_count": ("按问题扣分", "deduction per problem"),
    "type_grade": ("分级", "grade"),
    "rule_check": ("符合得 {points} 分，不符合 0 分", "{points} when met, 0 when not"),
    "rule_count": ("每处问题扣 {deduct} 分，扣完为止", "−{deduct} per problem found, floored at 0"),
    "rule_grade": ("按等级：{grades}", "by grade: {grades}"),
    "col_round_id": ("编号", "Id"),
    "col_round_name": ("名称", "Name"),
    "col_start": ("开始", "Start"),
    "col_end": ("结束", "End"),
    # --- survey (tablet) page ------------------------------------------------------------------
    "sv_title": ("实地测评", "Field assessment"),
    "sv_surveyor": ("测评员姓名", "Surveyor"),
    "sv_surveyor_help": ("测评结果以此姓名署名；草稿按“轮次 + 村 + 测评员”保存，刷新页面或重新登录后自动恢复。",
                         "Assessments are signed with this name; drafts are kept per round, village and surveyor."),
    "sv_need_surveyor": ("请先填写测评员姓名", "Type your name first"),
    "sv_town": ("乡镇", "Township"),
    "sv_all_towns": ("全部乡镇", "All townships"),
    "sv_village": ("村（可输入村名中的字查找）", "Village (type part of the name)"),
    "sv_pick_village": ("选择或输入村名", "Choose or type a village"),
    "sv_status_submitted": ("已完成", "done"),
    "sv_status_draft": ("草稿", "draft"),
    "sv_status_todo": ("未测", "to do"),
    "sv_progress": ("本轮：已完成 {submitted} 个 · 草稿 {draft} 个 · 未测 {todo} 个",
                    "This round: {submitted} done · {draft} drafts · {todo} to do"),
    "sv_village_head": ("{village}（{township}）", "{village} ({township})"),
    "sv_returned": ("县文明办退回了本村的提交，请按意见修改后重新提交。退回意见（{by}）：{comment}",
                    "The office returned this village's submission: correct it and submit again. "
                    "Comment by {by}: {comment}"),
    "sv_already": ("本村本轮已有提交。如需重新测评，直接作答并提交，以最新一次为准。",
                   "This village was submitted this round. Answer and submit again to replace it."),
    "sv_restored": ("已恢复草稿：已答 {answered}/{count} 项，照片 {photos} 张",
                    "Draft restored: {answered}/{count} answered, {photos} photos"),
    "sv_total": ("当前得分 **{total}** 分（已答 {answered}/{count} 项，可得 {total_max} 分）· 达标线 {pass_mark} 分",
                 "Score so far **{total}** (answered {answered}/{count}, of {total_max}) · pass mark {pass_mark}"),
    "sv_section_score": ("{name} · {earned}/{points} 分（已答 {answered}/{count}）",
                         "{name} · {earned}/{points} (answered {answered}/{count})"),
    "sv_met": ("符合", "Met"),
    "sv_not_met": ("不符合", "Not met"),
    "sv_answer": ("作答", "Answer"),
    "sv_count": ("发现问题数（处）", "Problems found"),
    "sv_count_placeholder": ("输入数字，没有填 0", "a number; 0 when none"),
    "sv_grade_option": ("{grade}（{points} 分）", "{grade} ({points})"),
    "sv_criteria": ("逐项判断子项（全部符合为 A，差 1 项 B，差 2 项 C，其余 C#）：",
                    "Judge each sub-criterion (all met: A; one missed: B; two: C; otherwise C#):"),
    "sv_criterion_line": ("{n}\\. {text}", "{n}\\. {text}"),
    "sv_grade_result": ("等级 {grade}（{points} 分）", "Grade {grade} ({points} points)"),
    "sv_evidence_document": ("不符合：请填写情况说明（查阅资料所见，如“无登记簿”）；照片可不拍",
                             "Not met: write a note (what the records show, e.g. no register); no photo needed"),
    "sv_evidence_interview": ("不符合：请填写情况说明（走访所知，如“上月一户大操大办”）；照片可不拍",
                              "Not met: write a note (what villagers said); no photo needed"),
    "sv_veto_reported": ("已报告疑似一票否决事项：经县文明办核实认定后才计入",
                         "Suspected veto reported: it counts once the county office confirms it"),
    "sv_office_veto": (
        "一票否决（县文明办已认定）：{item} {name}，发生于 {date}，来源 {source}，文号 {document}；"
        "{until} 前本村的测评均不能达标",
        "Veto (confirmed by the county office): {item} {name}, on {date}, from {source}, document {document}; "
        "the village cannot pass any assessment until {until}"),
    "sv_points": ("得分 {earned}/{points}", "{earned}/{points} points"),
    "sv_evidence": ("不符合：请填写情况说明，并至少上传一张照片", "Not met: write a note and add at least one photo"),
    "sv_note": ("情况说明", "Note"),
    "sv_note_placeholder": ("例如：村口垃圾点两处暴露垃圾", "e.g. two exposed rubbish spots at the entrance"),
    "sv_photo": ("拍照或选择照片（JPG、PNG、HEIC）", "Take or choose photos (JPG, PNG, HEIC)"),
    "sv_photo_delete": ("删除", "Delete"),
    "sv_veto_title": ("疑似一票否决事项（报县文明办核实）", "Suspected veto items (reported to the county office)"),
    "sv_veto_question": ("近一年内是否发现以下事项", "Did you learn of any of these in the past year"),
    "sv_veto_none": ("均未发生", "None"),
    "sv_veto_some": ("有发生", "Some"),
    "sv_veto_pick": ("选择发生的事项", "Choose what happened"),
    "sv_gps_title": ("测评位置", "Position"),
    "sv_gps_none": ("尚未记录位置", "No position yet"),
    "sv_gps_button": ("获取当前位置", "Get my position"),
    "sv_gps_waiting": ("正在获取位置，请在浏览器提示中选择“允许”……", "Getting the position: allow it in the browser prompt…"),
    "sv_gps_refused": ("浏览器未提供位置（{message}）。请允许定位（页面须为 HTTPS），或在下方手动输入经纬度。",
                       "The browser gave no position ({message}). Allow it (the page must be HTTPS) or type it below."),
    "sv_gps_fix": ("经度 {lon}，纬度 {lat}，精度 {accuracy} 米", "lon {lon}, lat {lat}, accuracy {accuracy} m"),
    "sv_gps_fix_manual": ("经度 {lon}，纬度 {lat}（手动输入）", "lon {lon}, lat {lat} (typed)"),
    "sv_gps_manual": ("手动输入经纬度", "Type the position"),
    "sv_lon": ("经度（WGS84）", "Longitude (WGS84)"),
    "sv_lat": ("纬度（WGS84）", "Latitude (WGS84)"),
    "sv_gps_save": ("保存位置", "Save position"),
    "sv_submit": ("提交测评结果", "Submit"),
    "sv_missing_title": ("还不能提交，请补全以下 {n} 项：", "Not submitted yet; {n} things are missing:"),
    "sv_missing_answer": ("{item} {text}：未作答", "{item} {text}: not answered"),
    "sv_missing_note": ("{item} {text}：不符合，请填写情况说明", "{item} {text}: not met, write a note"),
    "sv_missing_photo": ("{item} {text}：不符合，请至少上传一张照片", "{item} {text}: not met, add a photo"),
    "sv_missing_veto": ("一票否决事项：请选择“均未发生”，或选出发生的事项", "Veto items: choose None, or pick what happened"),
    "sv_done": ("已提交 {village}：总分 {total} 分，{result}", "{village} submitted: {total} points, {result}"),
    "sv_done_repeat": ("（此前已保存，本次未重复提交）", "(stored before; not stored twice)"),
    "sv_passed": ("达标", "passed"),
    "sv_failed": ("未达标", "not passed"),
    "sv_vetoed": ("一票否决，未达标", "vetoed, not passed"),
    "sv_done_sections": ("各部分得分：{sections}", "Sections: {sections}"),
    "sv_again": ("重新测评本村", "Assess this village again"),
    # --- the tablet's checklist in the browser (ui/tablet.py, ui/components/tablet) ------------
    # plain text: the browser fills the {fields} and shows it with textContent
    "sv_round_closed": ("测评轮次 {round} 已结束（{end}，另加 {margin} 天补交期）：本轮不能再保存或提交答案",
                        "Round {round} has closed ({end}, plus {margin} days to hand in late): nothing more can be saved or submitted"),
    "tab_bar_label": ("得分与保存状态", "Score and saving"),
    "tab_total": ("当前得分 {total} 分（已答 {answered}/{count} 项，可得 {total_max} 分）· 达标线 {pass_mark} 分",
                  "Score {total} ({answered}/{count} answered, {total_max} possible) · pass mark {pass_mark}"),
    "tab_todo": ("还需：未答 {answer} 项 · 缺情况说明 {note} 项 · 缺照片 {photo} 项",
                 "To do: {answer} unanswered · {note} notes · {photo} photos missing"),
    "tab_todo_veto": (" · 一票否决事项未答", " · veto question open"),
    "tab_todo_none": ("全部填完，可以提交", "Complete: ready to submit"),
    "tab_clear": ("清除", "Clear"),
    "tab_step_minus": ("减一", "One less"),
    "tab_step_plus": ("加一", "One more"),
    "tab_grade": ("等级 {grade}（{points} 分）", "Grade {grade} ({points} points)"),
    "tab_grade_legacy": ("已记录等级 {grade}（{points} 分）；提交前请逐条回答子项",
                         "Grade {grade} recorded ({points} points); answer each criterion before submitting"),
    "tab_grade_pending": ("还有 {n} 个子项未答", "{n} criteria still open"),
    "tab_evidence_note": ("不符合：请填写情况说明", "Not met: write a note"),
    "tab_flag_note": ("缺情况说明", "note missing"),
    "tab_flag_photo": ("缺照片", "photo missing"),
    "tab_photo_saved": ("已上传", "uploaded"),
    "tab_photo_waiting": ("待上传", "waiting to upload"),
    "tab_photo_progress": ("上传中 {percent}%", "uploading {percent}%"),
    "tab_photo_not_image": ("“{name}”不是照片：请选择 JPG、PNG 或 HEIC 照片", "{name} is not a photo: choose a JPG, PNG or HEIC photo"),
    "tab_photo_unreadable": ("无法读取“{name}”", "cannot read {name}"),
    "tab_photo_bytes": ("“{name}”超过 {limit}，未上传", "{name} is over {limit}; not uploaded"),
    "tab_photo_pixels": ("“{name}”有 {mp} 百万像素（{size}），超过 {limit} 百万像素的上限；请用相机的普通模式拍摄",
                         "{name} has {mp} megapixels ({size}), over the limit of {limit}; take it in the camera's normal mode"),
    "tab_photos_waiting": ("{n} 张照片待上传", "{n} photos waiting to upload"),
    "tab_net_saved": ("已保存", "Saved"),
    "tab_net_sending": ("正在保存 {n} 条答案……", "Saving {n} answers…"),
    "tab_net_offline": ("网络中断：{n} 条答案已保存在本平板，网络恢复后自动发送，可继续作答",
                        "No connection: {n} answers are kept on this tablet and sent when the link returns; go on answering"),
    "tab_net_back": ("网络已恢复：全部答案已保存到服务器", "Back online: every answer is saved on the server"),
    "tab_net_signed_out": ("登录已失效：请重新登录。未发送的 {n} 条答案仍保存在本平板",
                           "Signed out: sign in again. The {n} answers not sent yet stay on this tablet"),
    "tab_no_routes": ("无法保存：服务器未提供同步接口（请用 make run 或 streamlit run serve.py 启动）",
                      "Cannot save: the server has no sync route (start it with make run or streamlit run serve.py)"),
    "tab_no_storage": ("本平板无法在本机保存答案（存储已满或被禁用）：请保持联网", "This tablet cannot keep answers (storage full or off): stay online"),
    "tab_submit_offline": ("网络中断，尚未提交：答案已保存在本平板，网络恢复后请再点“提交”",
                           "No connection, not submitted: the answers are kept on this tablet; tap Submit again when the link returns"),
    "tab_dismiss": ("知道了", "OK"),
    "tab_office_veto": ("县文明办已确认的一票否决事项：", "Vetoes confirmed by the county office:"),
    # --- officer (issue 18) in the browser checklist -----------------------------------------
    "tab_office_veto_applies": ("县文明办已认定一票否决事项：本村本轮不能达标",
                                "A veto confirmed by the county office applies: the village cannot pass this round"),
    "tab_gps_range": ("经度应在 73–136、纬度应在 3–54 之间（WGS84 度）", "longitude within 73–136, latitude within 3–54 (WGS84 degrees)"),
    # --- map page ------------------------------------------------------------------------------
    "map_title": ("地图：测评结果与文明示范带", "Map: results and demonstration belts"),
    "map_round": ("测评轮次 {id}", "Round {id}"),
    "map_no_round": ("尚无测评轮次：所有村显示为“未测评”", "No round yet: every village shows as not assessed"),
    "map_empty": ("名录中还没有村庄，请先在“设置”页导入村庄名录", "No villages yet: import the village list on the Setup page"),
    "map_base": ("底图", "Base layer"),
    "map_base_none": ("无底图（仅边界，离线可用）", "None (boundaries only, works offline)"),
    "map_base_osm": ("OpenStreetMap（需联网）", "OpenStreetMap (needs internet)"),
    "map_base_tianditu": ("天地图（需联网和密钥 TIANDITU_KEY）", "Tianditu (needs internet and TIANDITU_KEY)"),
    "map_base_amap": ("高德地图（需联网，坐标转为 GCJ-02）", "AMap (needs internet; points shifted to GCJ-02)"),
    "map_base_custom": ("自定义瓦片地址", "Custom tile URL"),
    "map_custom_url": ("瓦片地址（含 {{z}}/{{x}}/{{y}}）", "Tile URL (with {{z}}/{{x}}/{{y}})"),
    "map_base_fallback": ("{error}；已改用无底图", "{error}; showing no base layer"),
    "map_scope": ("范围", "Area"),
    "map_scope_all": ("全部（{n} 个村）", "All ({n} villages)"),
    "map_overview": (
        "村庄较多（{n} 个），按乡镇汇总显示；选择一个乡镇可查看各村",
        "{n} villages: shown as township summaries; pick a township to see its villages",
    ),
    "map_belts": ("文明示范带", "Demonstration belts"),
    "map_no_roads": ("尚未导入道路：python -m survey import-roads FILE", "No roads yet: python -m survey import-roads FILE"),
    "map_col_road": ("示范带", "Belt"),
    "map_col_buffer": ("缓冲距离(米)", "Buffer (m)"),
    "map_col_members": ("成员村", "Members"),
    "map_col_assessed": ("已测评", "Assessed"),
    "map_col_passed": ("达标", "Passed"),
    "map_col_average": ("平均分", "Average score"),
    "map_col_share": ("县级及以上文明村占比(%)", "County-level-or-higher titles (%)"),
    "map_radiation": ("示范村辐射带动（半径 {km} 公里）", "Demonstration villages' reach ({km} km radius)"),
    "map_unreached": ("{n} 个村不在任何示范村的辐射范围内", "{n} villages are beyond every demonstration village's reach"),
    "map_no_demo": ("名录中没有示范村", "The registry has no demonstration village"),
    "map_col_demo": ("示范村", "Demonstration village"),
    "map_col_led": ("带动村数", "Villages led"),
    "map_col_code": ("区划代码", "Code"),
    "map_col_name": ("村", "Village"),
    "map_col_township": ("乡镇", "Township"),
    # --- dashboard page ------------------------------------------------------------------------
    "dash_title": ("目标达成：县级及以上文明村占比", "Share target: villages with a county-level or higher title"),
    "dash_round": ("测评轮次 {id}（{name}）", "Round {id} ({name})"),
    "dash_previous": ("变化与上一轮 {id} 比较", "Changes are against the previous round {id}"),
    "dash_now": ("当前文明村占比", "Current share"),
    "dash_projected": ("本轮结果生效后占比", "Projected share"),
    "dash_target": ("目标占比", "Target"),
    "dash_needed": ("还需 {n} 个文明村", "{n} more civilized villages needed"),
    "dash_reached": ("已达到目标", "Target reached"),
    "dash_chart": ("各乡镇预计占比（按距目标差距排序，竖线为目标）", "Projected share per township (furthest below target first; the line is the target)"),
    "dash_axis": ("预计占比(%)", "Projected share (%)"),
    "dash_townships": ("乡镇汇总", "Townships"),
    "dash_tab_below": ("未达目标", "Below target"),
    "dash_tab_failed": ("未达标村", "Failed villages"),
    "dash_tab_risk": ("摘牌风险", "Title at risk"),
    "dash_tab_rank": ("红黑榜", "Best and worst"),
    "dash_tab_drill": ("按乡镇查看", "By township"),
    "dash_tab_target": ("设置目标", "Set the target"),
    "dash_all_reached": ("所有乡镇都已达到目标", "Every township reaches its target"),
    "dash_none": ("没有", "None"),
    "dash_plan": ("补差建议：离达标最近的村（差分最少者优先）", "Gap planner: the villages closest to passing (fewest points short first)"),
    "dash_plan_uncovered": (
        "{name}：以上村全部达标后仍差 {n} 个；本轮另有 {m} 个未计入的村尚未测评",
        "{name}: still {n} short when every village above passes; {m} villages not counted were not assessed this round",
    ),
    "dash_plan_vetoed": (
        "{name}：{villages} 因一票否决不能靠加分达标",
        "{name}: {villages} cannot pass on points (veto)",
    ),
    "dash_rank_scope": ("范围", "Scope"),
    "dash_rank_n": ("每榜村数", "Villages per list"),
    "dash_best": ("红榜（前 {n} 名）", "Best {n}"),
    "dash_worst": ("黑榜（后 {n} 名）", "Worst {n}"),
    "dash_rank_note": ("同分同名次；一票否决的村排在最后", "Equal totals share a rank; vetoed villages rank last"),
    "dash_township_pick": ("乡镇", "Township"),
    "dash_set_scope": ("适用范围", "Applies to"),
    "dash_whole_county": ("全县（{name}）", "Whole county ({name})"),
    "dash_set_percent": ("目标占比(%)", "Target (%)"),
    "dash_set_by": ("设置人", "Set by"),
    "dash_set_save": ("保存目标", "Save target"),
    "dash_set_saved": ("已保存：{scope} 目标 {percent}%", "Saved: target {percent}% for {scope}"),
    "dash_settings": ("已设置的目标（未设置时为默认 {default}%）", "Targets set (default {default}% where none is set)"),
    "dash_col_code": ("编码", "Code"),
    "dash_col_name": ("名称", "Name"),
    "dash_col_township": ("乡镇", "Township"),
    "dash_col_villages": ("村总数", "Villages"),
    "dash_col_civilized_now": ("现有文明村", "Civilized now"),
    "dash_col_assessed": ("本轮测评", "Assessed"),
    "dash_col_passed": ("达标", "Passed"),
    "dash_col_projected": ("预计文明村", "Projected"),
    "dash_col_share_now": ("文明村占比(%)", "Share now (%)"),
    "dash_col_share_projected": ("预计占比(%)", "Projected share (%)"),
    "dash_col_target": ("目标(%)", "Target (%)"),
    "dash_col_reached": ("达到目标", "Reached"),
    "dash_col_needed": ("需新增", "Needed"),
    "dash_col_title": ("称号", "Title"),
    "dash_col_total": ("总分", "Total"),
    "dash_col_veto": ("一票否决", "Veto"),
    "dash_col_change": ("较上轮", "Change"),
    "dash_col_rank": ("名次", "Rank"),
    "dash_col_short": ("差分", "Points short"),
    "dash_col_losses": ("失分最多的项目", "Items that lost most"),
    "dash_col_scope": ("范围", "Scope"),
    "dash_col_percent": ("目标(%)", "Target (%)"),
    "dash_col_by": ("设置人", "Set by"),
    "dash_col_at": ("设置时间", "Set at"),
    # --- dashboard: bulletin, trends, title review (ui/rounds_view.py) -------------------------
    "dash_bulletin": ("下载测评通报（Word）", "Download the bulletin (Word)"),
    "dash_bulletin_help": (
        "本县本轮的测评通报：总体情况、各乡镇目标完成情况、红黑榜、主要问题、摘牌复核名单，可编辑后盖章印发",
        "The round bulletin of the county: headline figures, townships against target, best and worst, "
        "frequent problems, title review; edit, sign and send",
    ),
    "dash_tab_trends": ("历轮趋势", "Trends"),
    "dash_tab_review": ("摘牌复核", "Title review"),
    "dash_trend_note": (
        "截至所选轮次的 {n} 个计分轮次；按现有称号计算各轮预计占比",
        "{n} counting rounds up to the chosen one; projected shares use today's titles",
    ),
    "dash_trend_county": ("{name} 预计占比（虚线为目标）", "{name}: projected share (dashed: target)"),
    "dash_trend_townships": ("各乡镇预计占比（红色虚线为目标）", "Projected share per township (red dashes: target)"),
    "dash_trend_village": ("查看村的历轮得分", "A village's totals over the rounds"),
    "dash_trend_never": ("该村在这些轮次中未参加测评", "This village was not assessed in these rounds"),
    "dash_change_from": ("比较：从", "Compare from"),
    "dash_change_to": ("到", "to"),
    "dash_chg_code": ("编码", "Code"),
    "dash_chg_name": ("名称", "Name"),
    "dash_chg_township": ("乡镇", "Township"),
    "dash_chg_before": ("之前", "Before"),
    "dash_chg_after": ("之后", "After"),
    "dash_chg_change": ("变化", "Change"),
    "dash_chg_projected_change": ("预计文明村增减", "Projected villages gained"),
    "dash_review_share": ("列入复核比例(%)", "Share listed (%)"),
    "dash_review_rounds": ("按最近几轮排序", "Rounds ranked on"),
    "dash_review_rule": (
        "县级及以上文明村按最近几轮得分排序：有一票否决的轮次排在任何得分之后，其余按平均分从低到高；"
        "比例向上取整（至少 1 个），与末位同分者一并列入；只参加部分轮次的村按已参加轮次的平均分排序",
        "Titled villages ranked on the last rounds: a vetoed round ranks below any score, then the lower "
        "average first; the share is rounded up (at least 1) and ties at the cut are all listed; a village "
        "assessed in fewer rounds is ranked on the rounds it was assessed in",
    ),
    "dash_review_summary": (
        "排序轮次：{window}；参加排序 {ranked} 个，按 {share}% 应列 {quota} 个，实列 {listed} 个",
        "Rounds: {window}; {ranked} ranked, {share}% asks for {quota}, {listed} listed",
    ),
    "dash_review_unranked": (
        "另有 {n} 个文明村在这些轮次未参加测评，未参与排序", "{n} titled villages were not assessed in these rounds: not ranked"),
    "dash_col_bottom_rank": ("倒数名次", "Rank from bottom"),
    "dash_col_average": ("平均分", "Average"),
    "dash_col_vetoed": ("否决轮次", "Vetoed rounds"),
    "dash_col_rounds_assessed": ("参加轮次", "Rounds assessed"),
    "dash_col_scores": ("各轮得分", "Round scores"),
    # --- export page ---------------------------------------------------------------------------
    "exp_title": ("上报省级：测评结果报送文件", "Provincial export: the files for the province"),
    "exp_help": (
        "按省级报送格式生成村级测评表和乡镇汇总表（CSV），另附 Excel 工作簿和 GeoJSON 点位。"
        "每村取本轮最新一份未被退回的测评；不含任何个人信息，只有测评人署名。",
        "Builds the village table and the township summary (CSV) in the provincial layout, plus an "
        "Excel workbook and GeoJSON points. Each village counts its latest submission of the round "
        "that was not returned; no personal data beyond the surveyor's display name.",
    ),
    "exp_round": ("测评轮次 {id}（{name}）", "Round {id} ({name})"),
    "exp_encoding": ("CSV 编码", "CSV encoding"),
    "exp_enc_utf-8-sig": ("UTF-8（带 BOM，推荐）", "UTF-8 with BOM (recommended)"),
    "exp_enc_gbk": ("GBK（按 GB18030 写出）", "GBK (written as GB18030)"),
    "exp_counts": (
        "本轮已测评 {villages} 个村，{townships} 个乡镇",
        "{villages} villages assessed in this round, {townships} townships",
    ),
    "exp_warnings": ("生成文件时有 {n} 条提示：", "{n} warnings while writing the files:"),
    "exp_no_warnings": ("没有提示，文件可以直接报送", "No warnings: the files are ready to send"),
    "exp_download": ("下载", "Download"),
    "exp_dl_csv": ("CSV 报送文件（ZIP）", "CSV pair (ZIP)"),
    "exp_dl_xlsx": ("Excel 工作簿", "Excel workbook"),
    "exp_dl_geojson": ("GeoJSON 点位", "GeoJSON points"),
    "exp_villages": ("村级测评表 {file}", "Village table {file}"),
    "exp_townships": ("乡镇汇总表 {file}", "Township table {file}"),
    "exp_empty": ("本轮还没有村庄提交测评", "No village has a submission in this round yet"),
    # --- accounts, login, review, users --------------------------------------------------------
    "nav_login": ("登录", "Sign in"),
    "nav_review": ("审核", "Review"),
    "nav_my_submissions": ("我的提交", "My submissions"),
    "nav_users": ("账号", "Accounts"),
    "group_admin": ("管理", "Administration"),
    "role_surveyor": ("测评员", "Surveyor"),
    "role_reviewer": ("县文明办审核员", "County reviewer"),
    "role_admin": ("管理员", "Administrator"),
    "role_liaison": ("乡镇联络员", "Township liaison"),
    "login_title": ("登录", "Sign in"),
    "login_name": ("账号", "Account"),
    "login_password": ("密码", "Password"),
    "login_submit": ("登录", "Sign in"),
    "login_expired": ("长时间未操作，已自动退出，请重新登录", "Signed out after a while without activity: sign in again"),
    "login_signed_out": ("已退出登录", "Signed out"),
    "login_ended": ("登录已失效，请重新登录", "This sign-in has ended: sign in again"),
    "login_no_users": (
        "这个数据库还没有任何账号。请在服务器上用命令行创建第一个管理员账号（密码从标准输入读入）：",
        "This database has no account yet. Create the first administrator on the server from the command line (the password is read from standard input):",
    ),
    "login_demo": (
        "这是演示数据库，可用以下试用账号登录（仅演示数据库显示）：",
        "This is the demo database: sign in with one of these trial accounts (shown on the demo only):",
    ),
    "login_col_account": ("账号", "Account"),
    "login_col_password": ("密码", "Password"),
    "login_col_role": ("角色", "Role"),
    "login_required": ("请先登录", "Please sign in first"),
    "no_access": ("当前账号无权查看此页面", "This account may not open this page"),
    "account_caption": ("{name} · {role}", "{name} · {role}"),
    "scope_everything": ("范围：全部", "Scope: everything"),
    "scope_county": ("范围：县 {county}", "Scope: county {county}"),
    "scope_townships": ("范围：县 {county}，乡镇 {townships}", "Scope: county {county}, townships {townships}"),
    "logout": ("退出登录", "Sign out"),
    "rv_title": ("审核测评结果", "Review submissions"),
    "rv_mine_title": ("我的提交", "My submissions"),
    "rv_status": ("状态", "Status"),
    "rv_all": ("全部", "All"),
    "rv_township": ("乡镇", "Township"),
    "rv_result": ("测评结果", "Result"),
    "rv_passed": ("达标", "Passed"),
    "rv_failed": ("未达标", "Not passed"),
    "rv_none": ("没有符合条件的提交", "No submission matches"),
    "rv_count": ("共 {n} 条，点选一行查看详情", "{n} submissions: select a row to open it"),
    "rv_bulk_title": ("批量通过", "Approve all listed"),
    "rv_bulk_filter": (
        "将通过以下筛选条件下的全部 {n} 条待审核提交：{filter}",
        "This approves all {n} pending submissions of this filter: {filter}",
    ),
    "rv_bulk_confirm": ("我已核对上述筛选条件", "I checked the filter above"),
    "rv_bulk": ("批量通过 {n} 条", "Approve {n}"),
    "rv_bulk_done": ("已通过 {n} 条提交", "{n} submissions approved"),
    "rv_approve": ("通过", "Approve"),
    "rv_return": ("退回", "Return"),
    "rv_comment": ("退回意见（测评员会看到）", "Comment (the surveyor sees it)"),
    "rv_approved": ("已通过：{village}", "Approved: {village}"),
    "rv_returned": ("已退回：{village}", "Returned: {village}"),
    "rv_heading": ("{village}（{code}）· {township} · {date} · {surveyor}", "{village} ({code}) · {township} · {date} · {surveyor}"),
    "rv_total": ("总分", "Total"),
    "rv_result_value": ("结果", "Result"),
    "rv_veto": ("一票否决：{items}", "Veto: {items}"),
    "rv_position": ("测评位置：经度 {lon}，纬度 {lat}（精度 {acc} 米）", "Surveyed at lon {lon}, lat {lat} (accuracy {acc} m)"),
    "rv_no_position": ("没有测评位置", "No surveyed position"),
    "rv_answers": ("各项作答", "Answers"),
    "rv_photos": ("照片", "Photos"),
    "rv_no_photos": ("没有照片", "No photos"),
    "rv_versions": ("版本", "Versions"),
    "rv_history": ("村庄历史记录", "Village history"),
    "rv_comment_shown": ("退回意见（{by}）：{comment}", "Returned by {by}: {comment}"),
    "rv_correct": ("修改后重新提交", "Correct and resubmit"),
    "rv_col_code": ("区划代码", "Code"),
    "rv_col_village": ("村", "Village"),
    "rv_col_township": ("乡镇", "Township"),
    "rv_col_date": ("测评日期", "Date"),
    "rv_col_surveyor": ("测评人", "Surveyor"),
    "rv_col_total": ("总分", "Total"),
    "rv_col_result": ("结果", "Result"),
    "rv_col_status": ("审核状态", "Status"),
    "rv_col_comment": ("审核意见", "Comment"),
    "rv_col_item": ("项目", "Item"),
    "rv_col_answer": ("作答", "Answer"),
    "rv_col_lost": ("扣分", "Points lost"),
    "rv_col_note": ("备注", "Note"),
    "rv_met": ("符合", "met"),
    "rv_not_met": ("不符合", "not met"),
    "rv_filter": ("轮次 {round}；状态 {status}；乡镇 {township}；结果 {result}", "round {round}; status {status}; township {township}; result {result}"),
    "rv_pick": ("打开提交", "Open submission"),
    "rv_col_at": ("时间", "When"),
    "rv_col_actor": ("操作人", "Who"),
    "rv_col_action": ("操作", "What"),
    "rv_col_before": ("修改前", "Before"),
    "rv_col_after": ("修改后", "After"),
    "us_title": ("账号管理", "Accounts"),
    "us_add": ("新建账号", "New account"),
    "us_name": ("账号（字母、数字）", "Account name (letters, digits)"),
    "us_display": ("显示名（测评表上的测评人）", "Display name (signs the surveys)"),
    "us_role": ("角色", "Role"),
    "us_county": ("县代码（6 位）", "County code (6 digits)"),
    "us_townships": ("乡镇代码（可选，9 位，逗号分隔）", "Township codes (optional, 9 digits, comma-separated)"),
    "us_password": ("初始密码（至少 8 位）", "Initial password (8 characters or more)"),
    "us_create": ("创建账号", "Create account"),
    "us_created": ("已创建账号 {name}", "Account {name} created"),
    "us_pick": ("选择账号", "Account"),
    "us_disable": ("停用账号", "Disable account"),
    "us_enable": ("重新启用账号", "Enable account"),
    "us_toggled": ("已更新账号 {name}", "Account {name} updated"),
    "us_new_password": ("新密码（至少 8 位）", "New password (8 characters or more)"),
    "us_set_password": ("重设密码", "Set password"),
    "us_password_set": ("已重设 {name} 的密码", "Password of {name} set"),
    "us_audit": ("最近的操作记录", "Recent audit trail"),
    "us_set_scope": ("保存角色与范围", "Save role and scope"),
    "us_scope_set": ("已更新 {name} 的角色与范围", "Role and scope of {name} saved"),
    "us_col_display": ("显示名", "Display name"),
    "us_col_state": ("状态", "State"),
    "us_active": ("启用", "active"),
    "us_disabled": ("已停用", "disabled"),
    # --- ODK Collect / KoboCollect (setup page; where a submission came from) -------------------
    "setup_odk": ("无信号地区：ODK Collect / KoboCollect", "No signal: ODK Collect / KoboCollect"),
    "setup_odk_help": (
        ("下载本轮次的 XLSForm 表单（含 villages.csv），上传到 ODK Central 或 KoboToolbox，测评员用 Collect 离线填报；"
         "回到有网络的地方后，把导出的数据（Central 的 ZIP 或 CSV，Kobo 的 CSV 或 XLSX）上传到这里。同一份数据重复上传不会重复导入。"),
        ("Download the round's XLSForm (with villages.csv), put it on ODK Central or KoboToolbox, and surveyors fill it "
         "offline in Collect; back in signal, upload the export here (Central's ZIP or CSV, Kobo's CSV or XLSX). "
         "Uploading the same export again adds nothing."),
    ),
    "setup_odk_round": ("测评轮次", "Round"),
    "setup_odk_download": ("下载表单（XLSForm + villages.csv，ZIP）", "Download the form (XLSForm + villages.csv, ZIP)"),
    "setup_odk_version": ("表单编号 {form_id}，版本 {version}", "Form id {form_id}, version {version}"),
    "setup_odk_upload": ("选择导出文件（ZIP、CSV 或 XLSX）", "Choose the export (ZIP, CSV or XLSX)"),
    "setup_odk_import": ("导入提交", "Import submissions"),
    "setup_odk_imported": (
        "已导入（{source}）：新增 {added} 份提交、{photos} 张照片，已有 {skipped} 份",
        "Imported ({source}): {added} submissions and {photos} photos added, {skipped} already stored",
    ),
    "source_tablet": ("平板", "Tablet"),
    "source_odk": ("ODK Collect", "ODK Collect"),
    "source_kobo": ("KoboCollect", "KoboCollect"),
    "source_jsonl": ("JSON Lines 导入", "JSON Lines import"),
    # --- what ODK Collect shows after sending (ui/endpoints/openrosa.py; plain text: both()) --------
    "odk_received": ("已收到：{village}（{code}），总分 {total}，照片 {photos} 张",
                     "Received: {village} ({code}), total {total}, {photos} photos"),
    "odk_received_again": ("这份测评已经收到过：{village}（{code}），没有重复保存",
                           "Received before: {village} ({code}); not stored twice"),
    "odk_received_part": ("已收到 {village}（{code}）的一部分，等待其余照片",
                          "Part of {village} ({code}) received; waiting for the other photos"),
    "rv_col_source": ("来源", "Source"),
    "rv_source": ("来源：{source}", "Source: {source}"),
    # --- officer: dashboard townships, veto records, village page, county settings, review ------
    "dash_townships_share": ("文明乡镇占比", "Civilized townships"),
    "dash_townships_reached": ("已达到目标 {target}%", "target {target}% reached"),
    "dash_townships_needed": ("目标 {target}%，还需 {n} 个文明乡镇", "target {target}%: {n} more needed"),
    "dash_townships_help": (
        "全县 {n} 个乡镇中 {civilized} 个持有{level}及以上文明乡镇称号（称号见各乡镇的村镇档案）",
        "{civilized} of the county's {n} townships hold a civilized-township title of {level} or higher"),
    "dash_counts_from": ("计入占比的称号：{level}及以上（县级设置）", "Titles that count: {level} and higher (county settings)"),
    "nav_vetoes": ("一票否决", "Vetoes"),
    "nav_village": ("村镇档案", "Villages & titles"),
    "nav_settings": ("县级设置", "County settings"),
    "rv_unmet": ("未达到的子项", "Criteria not met"),
    "rv_reported": ("测评员报告的疑似一票否决事项（待县文明办核实）：{items}",
                    "Suspected veto reported by the surveyor (for the county office to confirm): {items}"),
    "veto_title": ("一票否决记录", "Veto records"),
    "veto_rule": (
        "一票否决事项是其他部门掌握的事实（纪委、公安、应急管理、信用等），由县文明办登记：自发生日期起 {months} 个月内，"
        "该村（登记到乡镇的，该乡镇所有村）的测评一律不达标。测评员报告的疑似事项经此处认定后才计入。",
        "Vetoes are facts held by other departments, recorded by the county office: for {months} months from the "
        "date, every assessment of the village (of every village of a township) fails. A surveyor's report counts "
        "once it is confirmed here."),
    "veto_tab_records": ("已登记", "Records"),
    "veto_tab_reports": ("待核实的报告", "Reports to decide"),
    "veto_tab_new": ("登记", "Enter a record"),
    "veto_tab_import": ("导入文件", "Import a file"),
    "veto_none": ("暂无记录", "No records"),
    "veto_no_reports": ("没有待核实的报告", "No reports to decide"),
    "veto_col_place": ("村或乡镇", "Village or township"),
    "veto_col_code": ("区划代码", "Code"),
    "veto_col_scope": ("范围", "Scope"),
    "veto_col_item": ("否决事项", "Veto item"),
    "veto_col_date": ("发生日期", "Date"),
    "veto_col_until": ("有效至", "In force until"),
    "veto_col_source": ("来源部门", "Source"),
    "veto_col_document": ("文号", "Document"),
    "veto_col_status": ("状态", "State"),
    "veto_col_entered_by": ("登记人", "Entered by"),
    "veto_col_reason": ("理由", "Reason"),
    "veto_col_township": ("乡镇", "Township"),
    "veto_col_round": ("轮次", "Round"),
    "veto_col_reported": ("测评日期", "Assessed on"),
    "veto_col_surveyor": ("测评员", "Surveyor"),
    "veto_status_confirmed": ("有效", "confirmed"),
    "veto_status_withdrawn": ("已撤销", "withdrawn"),
    "veto_status_rejected": ("未认定", "rejected"),
    "veto_scope_village": ("本村", "village"),
    "veto_scope_township": ("全乡镇", "whole township"),
    "veto_withdraw_title": ("撤销登记有误的记录", "Withdraw a record entered by mistake"),
    "veto_withdraw_pick": ("记录", "Record"),
    "veto_reason": ("撤销理由", "Reason"),
    "veto_withdraw": ("撤销", "Withdraw"),
    "veto_withdrawn": ("已撤销：{what}", "Withdrawn: {what}"),
    "veto_report_pick": ("报告", "Report"),
    "veto_date": ("发生日期", "Date of the event"),
    "veto_source": ("来源部门", "Source department"),
    "veto_document": ("文号（可选）", "Document number (optional)"),
    "veto_reject_reason": ("不予认定的理由（不予认定时必填）", "Reason (when rejecting)"),
    "veto_confirm": ("认定为一票否决", "Confirm as a veto"),
    "veto_reject": ("不予认定", "Reject"),
    "veto_confirmed": ("已认定：{place} {item}", "Confirmed: {place} {item}"),
    "veto_rejected": ("不予认定：{place} {item}", "Rejected: {place} {item}"),
    "veto_township": ("乡镇", "Township"),
    "veto_place": ("村（或整个乡镇）", "Village (or the whole township)"),
    "veto_whole_township": ("整个乡镇：{name}（所有村）", "The whole township: {name} (all its villages)"),
    "veto_item": ("否决事项", "Veto item"),
    "veto_add": ("登记", "Enter"),
    "veto_added": ("已登记：{place} {item}，有效至 {until}", "Entered: {place} {item}, in force until {until}"),
    "veto_import_help": (
        "CSV（UTF-8 或 GBK）或 Excel，列：区划代码（12 位村代码或 9 位乡镇代码）、否决事项（如 V3）、发生日期、来源部门、文号（可选）。"
        "有任何错误时整个文件都不会写入。",
        "CSV (UTF-8 or GBK) or Excel with columns 区划代码 (a 12-digit village or 9-digit township code), 否决事项 "
        "(e.g. V3), 发生日期, 来源部门, 文号 (optional). Nothing is written when any row is wrong."),
    "veto_import_file": ("选择文件", "Choose the file"),
    "veto_import_admin": ("导入文件由管理员操作（或在服务器上运行 python -m survey import-vetoes）",
                          "An administrator imports files (or runs python -m survey import-vetoes on the server)"),
    "veto_import": ("导入", "Import"),
    "veto_import_errors": ("文件有 {n} 处问题，未导入任何数据：", "The file has {n} problems; nothing was imported:"),
    "veto_imported": ("已导入：新增 {added} 条，更新 {updated} 条，未变 {unchanged} 条",
                      "Imported: {added} added, {updated} updated, {unchanged} unchanged"),
    "place_title": ("村镇档案：称号与变动记录", "Villages and townships: titles and their history"),
    "place_choose": ("请选择乡镇和村", "Choose a township and a village"),
    "place_township": ("乡镇", "Township"),
    "place_village": ("村", "Village"),
    "place_pick": ("选择乡镇", "Choose a township"),
    "place_whole_township": ("乡镇本身（文明乡镇称号）", "The township itself (civilized-township title)"),
    "place_head": ("{name}（{code}）· {township}", "{name} ({code}) · {township}"),
    "place_current": ("现有称号", "Current title"),
    "place_none": ("无", "none"),
    "place_year": ("{year} 年", "since {year}"),
    "place_history": ("称号变动记录（授予、摘牌）", "Title history (awards and removals)"),
    "place_no_history": ("尚无称号变动记录", "No title history yet"),
    "place_col_date": ("日期", "Date"),
    "place_col_action": ("变动", "Change"),
    "place_col_level": ("级别", "Level"),
    "place_col_document": ("文号", "Document"),
    "place_col_source": ("依据/来源", "Source"),
    "place_col_entered_by": ("登记人", "Entered by"),
    "place_col_entered_at": ("登记时间", "Entered at"),
    "place_col_link": ("档案", "Record"),
    "place_open": ("查看称号记录", "Title history"),
    "place_action_award": ("授予", "award"),
    "place_action_remove": ("摘牌", "removal"),
    "place_action_record": ("名录登记", "registry"),
    "place_action": ("变动", "Change"),
    "place_level": ("级别", "Level"),
    "place_date": ("日期", "Date"),
    "place_document": ("文号（跨级授予时必填）", "Document number (required to skip a level)"),
    "place_source": ("依据/备注", "Source or note"),
    "place_save": ("登记变动", "Record the change"),
    "place_saved": ("已登记，现有称号：{title}", "Recorded; current title: {title}"),
    "place_vetoes": ("一票否决记录", "Veto records"),
    "place_no_vetoes": ("没有一票否决记录", "No veto records"),
    "set_title": ("县级设置", "County settings"),
    "set_intro": (
        "各地不同的取值：默认值见 data/settings.yaml（出处一并列出），可为全库或某个县另行设置，记录改动人、依据和时间。"
        "测评细则的分值、等级系数和达标线在 data/rubric/。",
        "Values that differ by place: the defaults are data/settings.yaml (with where each comes from); set them "
        "for the whole database or one county, with who decided it and when. The rubric (points, grade factors, "
        "pass mark) is data/rubric/."),
    "set_scope": ("范围", "For"),
    "set_scope_all": ("全库默认（所有县）", "The whole database (every county)"),
    "set_col_setting": ("设置项", "Setting"),
    "set_col_value": ("当前值", "In force"),
    "set_col_unit": ("单位", "Unit"),
    "set_col_from": ("来自", "From"),
    "set_col_default": ("默认值", "Default"),
    "set_col_source": ("默认值出处", "Where the default comes from"),
    "set_col_by": ("改动依据", "Decided by"),
    "set_col_at": ("改动时间", "Changed at"),
    "set_col_actor": ("录入账号", "Entered by"),
    "set_col_factors": ("等级系数", "Grade factors"),
    "set_col_criteria": ("子项数", "Criteria"),
    "set_from_file": ("默认值", "default"),
    "set_from_database": ("全库设置", "database"),
    "set_from_county": ("本县设置", "county"),
    "set_pick": ("设置项", "Setting"),
    "set_value": ("新值", "New value"),
    "set_value_help": ("米数、百分数或月数写数字（如 3000、55、12）；称号写 县级、市级、省级 或 全国",
                       "Metres, percent or months as a number (3000, 55, 12); a title as 县级, 市级, 省级 or 全国"),
    "set_by": ("决定人或依据文件", "Decided by (a person or a document)"),
    "set_save": ("保存", "Save"),
    "set_reset": ("恢复默认", "Back to the default"),
    "set_saved": ("已保存：{setting} = {value}", "Saved: {setting} = {value}"),
    "set_was_reset": ("已恢复默认：{setting}", "Back to the default: {setting}"),
    "set_no_override": ("{setting} 本来就是默认值（{value}）", "{setting} has its default already ({value})"),
    "set_factors": ("等级系数（测评细则）", "Grade factors (rubric)"),
    "set_factors_help": (
        "等级系数属于测评细则：默认系数见 data/rubric/rubric.yaml 的 grades，某个项目另有系数时写在该项目下；"
        "文件有误（如系数大于 1）时会列出文件和行号并拒绝使用。当前细则版本 {version}，最近一次变动 {at}（{actor}）。",
        "Grade factors are part of the rubric: the default table is grades in data/rubric/rubric.yaml, an item's own "
        "in its section file; a wrong file (a factor above 1) is refused with its file and line. Rubric version "
        "{version}, last changed {at} ({actor})."),
    "setting_radius_m": ("示范村辐射半径", "Radiation radius of demonstration villages"),
    "setting_buffer_m": ("示范带道路缓冲距离", "Road buffer of demonstration belts"),
    "setting_gps_accuracy_m": ("定位精度提醒阈值", "GPS accuracy warning"),
    "setting_gps_distance_m": ("离村距离提醒阈值", "Distance-from-village warning"),
    "setting_civilized_from": ("计入占比的最低称号", "Lowest title that counts"),
    "setting_target": ("文明村占比目标（默认）", "Civilized-village share target (default)"),
    "setting_township_target": ("文明乡镇占比目标", "Civilized-township share target"),
    "setting_veto_months": ("一票否决有效期", "Veto window"),
    "setting_unit_metres": ("米", "m"),
    "setting_unit_percent": ("%", "%"),
    "setting_unit_months": ("月", "months"),
    "setting_unit_title": ("级", "level"),
    # --- the fix-it ledger (整改台账): ledger, fixes (liaison) and recheck pages, ui/ledger_view.py --
    "nav_ledger": ("整改台账", "Fix-it ledger"),
    "nav_fixes": ("整改上报", "Report fixes"),
    "nav_recheck": ("整改复查", "Re-check fixes"),
    "group_township": ("乡镇", "Township"),
    "lg_title": ("整改台账", "Fix-it ledger"),
    "lg_help": (
        "测评发现的问题在审核通过时自动建档；乡镇联络员上报整改，测评员或县文明办复查后销号。",
        "Findings open an entry when their submission is approved; township liaisons report the fix, a surveyor or the office re-checks and closes it.",
    ),
    "lg_round": ("测评轮次", "Round"),
    "lg_township": ("乡镇", "Township"),
    "lg_status": ("状态", "Status"),
    "lg_section": ("测评部分", "Section"),
    "lg_item": ("项目", "Item"),
    "lg_all": ("全部", "All"),
    "lg_status_open": ("待整改", "Open"),
    "lg_status_fixed": ("已整改", "Fixed"),
    "lg_status_closed": ("已销号", "Closed"),
    "lg_status_overdue": ("逾期", "Overdue"),
    "lg_recurring": ("反复出现", "Recurring"),
    "lg_total": ("条目合计", "Entries"),
    "lg_none": ("没有符合条件的台账条目", "No ledger entry matches"),
    "lg_townships": ("各乡镇整改情况", "By township"),
    "lg_entries": ("台账条目（逾期和反复出现的在前）", "Entries (overdue and recurring first)"),
    "lg_download": ("下载台账（Excel）", "Download the ledger (Excel)"),
    "lg_download_csv": ("下载台账（CSV）", "Download the ledger (CSV)"),
    "lg_notice_town": ("督办单：乡镇", "Notice to township"),
    "lg_notice": ("下载督办单（Word）", "Download the notice (Word)"),
    "lg_village": ("查看一个村的整改情况", "One village's entries"),
    "lg_village_pick": ("村", "Village"),
    "lg_entry_head": ("#{id} {item} · {village}（{township}）", "#{id} {item} · {village} ({township})"),
    "lg_entry_state": (
        "状态：{status}　发现日期：{found}　整改期限：{deadline}{overdue}{recurring}{failed}",
        "Status: {status}　found {found}　due {deadline}{overdue}{recurring}{failed}",
    ),
    "lg_overdue_mark": ("　**逾期**", "　**overdue**"),
    "lg_recurring_mark": ("　**反复出现**（见 #{id}）", "　**recurring** (see #{id})"),
    "lg_failed_mark": ("　复查未通过 {n} 次", "　failed re-checks: {n}"),
    "lg_problem": ("问题：{text}", "Problem: {text}"),
    "lg_fix": ("整改情况（{by}）：{text}", "Fix ({by}): {text}"),
    "lg_recheck_note": ("复查意见（{by}）：{text}", "Re-check ({by}): {text}"),
    "lg_before": ("整改前", "Before"),
    "lg_after": ("整改后", "After"),
    "lg_recheck_photos": ("复查照片", "Re-check"),
    "lg_no_photo": ("无照片", "No photo"),
    "lg_open_title": ("手动建档（暗访、群众投诉等）", "Open an entry by hand (unannounced visit, complaint)"),
    "lg_open_village": ("村", "Village"),
    "lg_open_text": ("发现的问题", "Problem found"),
    "lg_open_deadline": ("整改期限", "Deadline"),
    "lg_open_photo": ("现场照片", "Photo"),
    "lg_open_submit": ("建档", "Open entry"),
    "lg_opened": ("已建档：#{id}", "Entry #{id} opened"),
    "lg_col_id": ("编号", "No."),
    "lg_col_village": ("村", "Village"),
    "lg_col_township": ("乡镇", "Township"),
    "lg_col_round": ("测评轮次", "Round"),
    "lg_col_item": ("项目编码", "Item"),
    "lg_col_problem": ("问题", "Problem"),
    "lg_col_found": ("发现日期", "Found"),
    "lg_col_deadline": ("整改期限", "Deadline"),
    "lg_col_status": ("状态", "Status"),
    "lg_col_overdue": ("逾期", "Overdue"),
    "lg_col_recurring": ("反复出现", "Recurring"),
    "lg_col_failed": ("复查未通过次数", "Failed re-checks"),
    "lg_col_closed": ("销号日期", "Closed on"),
    "lg_col_total": ("合计", "Total"),
    "lg_yes": ("是", "yes"),
    "lg_no": ("否", "no"),
    "dash_col_ledger_open": ("待整改", "Open fixes"),
    "dash_col_ledger_overdue": ("逾期", "Overdue fixes"),
    "fx_title": ("整改上报", "Report fixes"),
    "fx_help": (
        "以下是本乡镇待整改的问题（逾期的在前）。整改完成后，写明做了什么、拍整改后照片，点“标记已整改”；县里复查通过后销号。",
        "These are your township's open problems (overdue first). When fixed, say what was done, add photos taken after, and tap “Mark fixed”; the county re-checks and closes it.",
    ),
    "fx_none": ("没有待整改的问题", "Nothing to fix"),
    "fx_count": ("待整改 {n} 个，其中逾期 {overdue} 个", "{n} to fix, {overdue} of them overdue"),
    "fx_text": ("整改情况（做了什么）", "What was done"),
    "fx_photo": ("整改后照片", "Photos after the fix"),
    "fx_photo_needed": ("需要至少一张整改后照片", "At least one photo after the fix is needed"),
    "fx_submit": ("标记已整改", "Mark fixed"),
    "fx_done": ("已上报整改：#{id} {village}", "Fix reported: #{id} {village}"),
    "rc_title": ("整改复查", "Re-check fixes"),
    "rc_help": (
        "到现场查看已整改的问题，拍照后选择“通过，销号”或“未通过”（写明仍存在的问题，重新限期整改）。",
        "Look at each fixed problem on the spot, take a photo, then choose “Passed: close” or “Not passed” (say what is still wrong; a new deadline is set).",
    ),
    "rc_none": ("没有待复查的问题", "Nothing to re-check"),
    "rc_village": ("选择村（括号内为待复查数）", "Village (entries to re-check)"),
    "rc_pick": ("选择一个村", "Choose a village"),
    "rc_photo": ("复查照片", "Re-check photo"),
    "rc_note": ("复查意见（未通过时必填）", "Remarks (required when not passed)"),
    "rc_deadline": ("新的整改期限（未通过时；不填按项目天数）", "New deadline (when not passed; empty: the item's days)"),
    "rc_pass": ("通过，销号", "Passed: close"),
    "rc_fail": ("未通过，重新整改", "Not passed: fix again"),
    "rc_closed": ("已销号：#{id} {village}", "Closed: #{id} {village}"),
    "rc_reopened": ("复查未通过，已重新限期整改：#{id} {village}", "Not passed, to fix again: #{id} {village}"),
    # --- ten-star households (pages/households.py, ui/households_view.py, ui/tenstar_view.py) --
    "nav_households": ("十星级文明户", "Ten-star households"),
    "group_villages": ("村级评星", "Villages"),
    "hh_title": ("十星级文明户：户籍名册与评星", "Ten-star households: register and rating"),
    "hh_stars_bad": (
        "十星标准文件有 {n} 处问题，请修改后刷新：",
        "The ten-star set has {n} problems; fix it and reload:",
    ),
    "hh_period": ("评星周期", "Rating period"),
    "hh_period_help": ("本县十星标准规定的评星周期（{kind}）", "The county's rating period ({kind})"),
    "hh_progress": ("各村评星进度", "Progress by village"),
    "hh_progress_help": (
        "参评率 = 参评户 ÷ 名册户数（门槛 {threshold}%）；十星率 = 已授牌的十星户 ÷ 参评户",
        ("Participation = rated ÷ households on the register (threshold {threshold} %); ten-star rate = awarded "
         "ten-star households ÷ rated"),
    ),
    "hh_col_township": ("乡镇", "Township"),
    "hh_col_village": ("村", "Village"),
    "hh_col_registry": ("名录户数", "Households (village list)"),
    "hh_col_households": ("名册户数", "Households (register)"),
    "hh_col_rated": ("参评户", "Rated"),
    "hh_col_participation": ("参评率(%)", "Participation (%)"),
    "hh_col_met": ("达到门槛", "Threshold met"),
    "hh_col_awarded": ("已授牌", "Awarded"),
    "hh_col_ten": ("十星户", "Ten-star"),
    "hh_col_ten_rate": ("十星率(%)", "Ten-star rate (%)"),
    "hh_col_posted": ("已公示", "Posted"),
    "hh_yes": ("是", "yes"),
    "hh_no": ("否", "no"),
    "hh_town": ("乡镇", "Township"),
    "hh_all_towns": ("全部乡镇", "All townships"),
    "hh_village": ("村（可输入村名中的字查找）", "Village (type part of the name)"),
    "hh_pick_village": (
        "选择一个村，查看和编辑其名册与评星",
        "Choose a village to see and edit its register and rating",
    ),
    "hh_village_head": ("{village}（{township}）· {period}", "{village} ({township}) · {period}"),
    "hh_register": ("户籍名册", "Register"),
    "hh_register_empty": (
        "本村还没有名册：请导入本村的户籍名册（Excel 或 CSV），或逐户添加",
        "No register yet: import the village's list (Excel or CSV) or add households one by one",
    ),
    "hh_import": ("导入本村名册（Excel、CSV）", "Import the village's register (Excel, CSV)"),
    "hh_import_help": (
        ("列：户号、户主、村民小组（可选）、家庭人口（可选）；区划代码列可省略。CSV 可为 UTF-8 或 GBK。"
         "有任何错误时整个文件都不会写入；重复导入同一文件不会改变数据。"),
        ("Columns: 户号 (household), 户主 (head), 村民小组 (group, optional), 家庭人口 (members, optional); the code "
         "column may be left out. CSV in UTF-8 or GBK. Nothing is written when any row is wrong; importing the same "
         "file again changes nothing."),
    ),
    "hh_upload": ("选择名册文件", "Choose the register file"),
    "hh_import_button": ("导入名册", "Import register"),
    "hh_imported": (
        "已导入：新增 {added} 户，更新 {updated} 户，未变 {unchanged} 户",
        "Imported: {added} added, {updated} updated, {unchanged} unchanged",
    ),
    "hh_errors": ("文件有 {n} 处问题，未导入任何数据：", "The file has {n} problems; nothing was imported:"),
    "hh_col_number": ("户号", "No."),
    "hh_col_head": ("户主", "Head"),
    "hh_col_group": ("村民小组", "Group"),
    "hh_col_members": ("人口", "Members"),
    "hh_col_stars": ("星数", "Stars"),
    "hh_col_tier": ("等级", "Tier"),
    "hh_col_state": ("状态", "State"),
    "hh_col_period": ("周期", "Period"),
    "hh_household": ("选择一户（评星、修改）", "Choose a household (rate, edit)"),
    "hh_new": ("＋ 新增一户", "+ Add a household"),
    "hh_option": ("{number} · {head}{group}", "{number} · {head}{group}"),
    "hh_edit": ("户籍信息", "Household"),
    "hh_number": ("户号", "Household number"),
    "hh_head": ("户主姓名", "Head of household"),
    "hh_group": ("村民小组", "Village group"),
    "hh_members": ("家庭人口", "Members"),
    "hh_save": ("保存户籍信息", "Save household"),
    "hh_saved_added": ("已添加户 {number}", "Household {number} added"),
    "hh_saved_updated": ("已保存户 {number}", "Household {number} saved"),
    "hh_saved_unchanged": ("户 {number} 没有变化", "Household {number} is unchanged"),
    "hh_remove": ("移出名册（迁出、合户）", "Take off the register (moved away, merged)"),
    "hh_remove_confirm": (
        "确认移出户 {number}（评星记录保留）",
        "Confirm: take household {number} off (its ratings are kept)",
    ),
    "hh_removed": ("已将户 {number} 移出名册", "Household {number} taken off the register"),
    "hh_rating": ("评星：户 {number}（{period}）", "Rating: household {number} ({period})"),
    "hh_rating_state": ("当前状态：{state}{notice}", "State: {state}{notice}"),
    "hh_rating_none": (
        "本周期尚未评星：选星后保存即为农户申报",
        "Not rated this period: choose stars and save to record the claim",
    ),
    "hh_notice_days": ("（公示 {start} 至 {end}）", " (notice {start} to {end})"),
    "hh_stars": ("获得的星（点选）", "Stars awarded (tap)"),
    "hh_disqualifier": ("否决情形", "Disqualifier"),
    "hh_disqualifier_none": ("无", "None"),
    "hh_tier_preview": ("{n} 颗星 · {tier}", "{n} stars · {tier}"),
    "hh_no_tier": ("未达等级", "no tier"),
    "hh_disqualified": ("有否决情形，不授予称号", "disqualified: no title"),
    "hh_rate": ("保存星级", "Save stars"),
    "hh_rated": ("已保存户 {number} 的星级（{state}）", "Stars of household {number} saved ({state})"),
    "hh_locked": (
        "已公示或已授牌，星级不能再改；公示期内有异议时可退回审核",
        "On notice or awarded: the stars are fixed; an objection during the notice sends it back to review",
    ),
    "hh_back": ("退回上一步", "Take one step back"),
    "hh_backed": ("户 {number} 已退回到“{state}”", "Household {number} is back to {state}"),
    "hh_procedure": ("评星程序（全村）", "The procedure (whole village)"),
    "hh_procedure_help": (
        "农户申报 → 村民代表评议 → 村委会审核 → 张榜公示（不少于 {days} 天）→ 授牌建档",
        ("Household claims → villagers' representatives discuss → village committee reviews → public notice (at "
         "least {days} days) → plaque and file"),
    ),
    "hh_move_discussed": ("村民代表评议通过（{n} 户）", "Representatives discussed ({n})"),
    "hh_move_reviewed": ("村委会审核通过（{n} 户）", "Committee reviewed ({n})"),
    "hh_move_notice": ("张榜公示（{n} 户）", "Put on notice ({n})"),
    "hh_move_awarded": ("公示期满，授牌建档（{n} 户）", "Notice over: award ({n})"),
    "hh_moved": ("已有 {n} 户进入“{state}”", "{n} households are now {state}"),
    "hh_notice_start": ("公示开始", "Notice starts"),
    "hh_notice_end": ("公示结束", "Notice ends"),
    "hh_notice": ("公示名单（Word，可打印张贴）", "Public notice (Word, to print and post)"),
    "hh_objections": ("异议受理（写在公示上）", "Objections go to (printed on the notice)"),
    "hh_notice_download": ("下载公示名单", "Download the notice"),
    "hh_notice_none": ("本周期还没有公示的评星结果", "Nothing of this period was put on notice yet"),
    "hh_state_claimed": ("已申报", "claimed"),
    "hh_state_discussed": ("已评议", "discussed"),
    "hh_state_reviewed": ("已审核", "reviewed"),
    "hh_state_notice": ("公示中", "on notice"),
    "hh_state_awarded": ("已授牌", "awarded"),
    "hh_states": ("已申报 {claimed} · 已评议 {discussed} · 已审核 {reviewed} · 公示中 {notice} · 已授牌 {awarded}",
                  ("claimed {claimed} · discussed {discussed} · reviewed {reviewed} · on notice {notice} · awarded "
                   "{awarded}")),
    # the tablet's panel beside the ten-star section: what the register says
    "ts_title": (
        "十星级文明户名册数据（{period}，供核实）",
        "The household register says ({period}; verify, do not guess)",
    ),
    "ts_households": ("名册户数", "Households"),
    "ts_participation": ("参评率", "Participation"),
    "ts_participation_value": ("{rate}%（{rated}/{households}）", "{rate} % ({rated}/{households})"),
    "ts_threshold_met": ("达到 {threshold}% 门槛", "meets the {threshold} % threshold"),
    "ts_threshold_missed": ("未达 {threshold}% 门槛", "below the {threshold} % threshold"),
    "ts_ten_star": ("十星户占比", "Ten-star rate"),
    "ts_ten_star_value": ("{rate}%（{ten}/{rated}）", "{rate} % ({ten}/{rated})"),
    "ts_target": ("县定目标 {target}%", "county target {target} %"),
    "ts_posted": ("结果公示", "Results posted"),
    "ts_posted_yes": ("已公示 {n} 户", "{n} households"),
    "ts_posted_no": ("未公示", "not posted"),
    "ts_none": ("—", "—"),
    "ts_tiers": ("已授牌：{tiers}；否决 {disqualified} 户", "Awarded: {tiers}; disqualified {disqualified}"),
    "ts_no_register": (
        "本村还没有户籍名册：以下数据需现场核实",
        "This village has no household register yet: check these items on the spot",
    ),
    "ts_spot": (
        "抽查 {n} 户：核对星级牌与档案、实际是否相符，把不符的户数记入 {item}",
        "Spot check of {n} households: compare plaque, file and facts; record the mismatches in {item}",
    ),
    "ts_spot_none": (
        "本周期还没有授牌的户，无法抽查",
        "No household has been awarded this period: nothing to spot-check",
    ),
    "ts_unavailable": ("十星级文明户数据暂不可用：{error}", "Household figures unavailable: {error}"),
    # the same figures, as plain lines under the ten-star section of the tablet's checklist
    "ts_aside": (
        "名册 {households} 户 · 参评率 {participation} · 十星户占比 {ten_star} · 结果公示：{posted}",
        "Register {households} households · participation {participation} · ten-star {ten_star} · posted: {posted}",
    ),
    "ts_aside_spot": (
        "抽查名单（{n} 户）在页面上方“十星级文明户名册数据”中，不符的户数记入 {item}",
        "The {n} households to spot-check are listed above the checklist; record mismatches in {item}",
    ),
}


class Md(str):
    """Markdown source that is safe to render: catalogue text, or data escaped by :func:`md`."""

    __slots__ = ()

    def __add__(self, other: str) -> Md | str:
        return Md(str.__add__(self, other)) if isinstance(other, Md) else str.__add__(self, other)


#: Always escaped: the escape character, code, emphasis, strikethrough, links, images and
#: Streamlit's directives (``:red[…]``) and icons (``:material/…:``, ``:smile:``), HTML and
#: character references, table cells, math.
_ALWAYS = re.compile(r"([\\`*_~\[\]<>&|$:])")
#: At the start of a line: headings, block quotes, lists, setext underlines, ordered lists.
_LINE_START = re.compile(r"^([ \t]*)([#>+\-=]|\d+(?=[.)](?:[ \t]|$)))", re.MULTILINE)
#: What Streamlit's renderer rewrites in the text itself, after escapes are undone: bare URLs
#: and e-mail addresses become links (GFM), ``:streamlit:`` its logo, ``:material_x:`` an icon.
#: A word joiner (U+2060, invisible) before them keeps them text.
_AUTOLINK = re.compile(r"(?i)(?=https?://|www\.|@)|(?<=:)(?=streamlit:|material_)")
#: ... and arrows and dashes between spaces (``->`` shows as →, ``--`` as —): joined the same way.
_TYPOGRAPHY = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")
WORD_JOINER = "\u2060"


def md(text: object) -> Md:
    """``text`` (data: a name, a note, an error message quoting input) as Markdown source that
    renders exactly as those characters: no formatting, link, image, HTML, icon, colour or
    math. :class:`Md` is returned as it is (escaping twice would show the backslashes)."""
    if isinstance(text, Md):
        return text
    if isinstance(text, SurveyError | Problem):  # an error shown in the page's language only
        text = text.text(lang())
    text = _TYPOGRAPHY.sub(lambda m: WORD_JOINER.join(m.group(1)), str(text))
    text = _AUTOLINK.sub(WORD_JOINER, text)
    escaped = _ALWAYS.sub(r"\\\1", text)
    escaped = _LINE_START.sub(lambda m: m.group(1) + (
        m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), escaped)
    return Md(escaped.replace("\\:material/", "\\:material\\/"))  # Streamlit's own icon rewrite


def code_span(text: object) -> Md:
    """``text`` as inline code (nothing inside a code span is Markdown), fenced by more
    backticks than it holds in a row."""
    text = str(text).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return Md(f"{fence} {text} {fence}")


def lang() -> str:
    return st.session_state.get(keys.LANG, "zh")


def _template(key: str) -> str:
    zh, en = TEXT[key]
    return en if lang() == "en" else zh


def template(key: str) -> str:
    """The text for ``key`` in the current language with its ``{fields}`` left in, for the
    browser to fill and show as plain text (``textContent``; the tablet's checklist)."""
    return _template(key)


def t(key: str, **fields) -> Md:
    """The text for ``key`` in the current language, with ``fields`` escaped for Markdown."""
    return Md(_template(key).format(**{name: md(value) for name, value in fields.items()}))


def plain(key: str, **fields) -> str:
    """The text for ``key`` with ``fields`` as they are, for places that show plain text
    (data-frame cells, select-box options); never for Markdown."""
    for name, value in fields.items():
        if isinstance(value, Md):
            raise TypeError(f"plain({key!r}): field {name!r} is Markdown source")
    return _template(key).format(**fields)


def both(key: str, **fields) -> str:
    """The text for ``key`` in both languages, ``中文（English）``, with ``fields`` as they are:
    for answers to other programs that show plain text (ODK Collect), where no language was
    chosen; never for Markdown."""
    zh, en = TEXT[key]
    return f"{zh.format(**fields)}（{en.format(**fields)}）"


def rule_text(item) -> str:
    """How an item earns its points, in words (plain: for the rubric tables)."""
    if item.type == "check":
        return plain("rule_check", points=item.points)
    if item.type == "count":
        return plain("rule_count", deduct=item.deduct)
    grades = "，".join(f"{g} ×{f}" for g, f in item.grades)
    return plain("rule_grade", grades=grades)


def source_label(source: str) -> str:
    """Where a submission came from, in words: 平板 / ODK Collect / KoboCollect / JSON Lines 导入
    (plain text: a table cell, or a field of ``t()``)."""
    return plain(f"source_{source}") if f"source_{source}" in TEXT else source


def said(item: SurveyError | Problem) -> str:
    """An error or a located problem as plain text in the page's language (``st.code`` lines,
    table cells): the command line keeps both languages, a page speaks its own."""
    return item.text(lang())


def when(moment: str | None) -> str:
    """A stored moment (ISO text, UTC) as the county's wall clock, ``2026-05-20 14:03``; a bare
    date stays as it is; empty for None."""
    if not moment:
        return ""
    from datetime import datetime

    from core import config

    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is None:
        return moment if len(moment) <= 10 else parsed.strftime("%Y-%m-%d %H:%M")
    return parsed.astimezone(config.time_zone()).strftime("%Y-%m-%d %H:%M")
