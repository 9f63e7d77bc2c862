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
