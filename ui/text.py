"""Every user-facing string of the app, Chinese first, English alongside.

``t("key", **fields)`` returns the text in the language chosen in the sidebar (Chinese by
default). Pages never spell user-facing text themselves.
"""

from __future__ import annotations

import streamlit as st

from ui import keys

TEXT: dict[str, tuple[str, str]] = {
    # --- shell ---------------------------------------------------------------------------------
    "app_title": ("乡风 · 文明村镇测评", "Xiangfeng · civilized-village assessment"),
    "lang_label": ("语言 / Language", "语言 / Language"),
    "round_label": ("测评轮次", "Round"),
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
    # --- map page ------------------------------------------------------------------------------
    # --- dashboard page ------------------------------------------------------------------------
    "dash_title": ("目标达成：县级及以上文明村占比", "Share target: villages with a county-level or higher title"),
    "dash_county": ("县", "County"),
    "dash_no_county": ("名录中还没有村庄，请先在“设置”页导入村庄名录", "No villages yet: import the village list on the Setup page"),
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
    "dash_set_by_required": ("请填写设置人", "Enter who sets the target"),
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
    # --- export page ---------------------------------------------------------------------------
}


def lang() -> str:
    return st.session_state.get(keys.LANG, "zh")


def t(key: str, **fields) -> str:
    """The text for ``key`` in the current language, formatted with ``fields``."""
    zh, en = TEXT[key]
    return (en if lang() == "en" else zh).format(**fields)


def rule_text(item) -> str:
    """How an item earns its points, in words (for the rubric tables)."""
    if item.type == "check":
        return t("rule_check", points=item.points)
    if item.type == "count":
        return t("rule_count", deduct=item.deduct)
    grades = "，".join(f"{g} ×{f}" for g, f in item.grades)
    return t("rule_grade", grades=grades)
