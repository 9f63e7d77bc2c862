"""One catalogue of every message the domain raises or returns.

Each message says *where* (file, line, field), *why* and *how to fix*, Chinese first with the
English alongside. Code raises :class:`DataError` (bad input: a list of located problems) or
:class:`UsageError` (a wrong request: unknown round, missing file...). Warnings are *returned*
as :class:`Problem` objects, never printed from the domain.

Add a message here, then use it with :func:`problem` / :func:`usage`::

    raise DataError([problem("code_digits", "villages.csv", 3, "区划代码", value="4213")])
"""

from __future__ import annotations

from dataclasses import dataclass

#: key -> (Chinese template, English template). Templates use str.format fields.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- files -----------------------------------------------------------------------------
    "file_missing": ("找不到文件，请检查路径", "file not found; check the path"),
    "file_format": (
        "不支持的文件类型“{suffix}”，请使用 CSV、XLSX、XLS、GeoJSON 或压缩的 Shapefile（.zip）",
        "unsupported file type {suffix!r}; use CSV, XLSX, XLS, GeoJSON or a zipped Shapefile (.zip)",
    ),
    "file_encoding": (
        "无法识别文件编码（已尝试 UTF-8、UTF-8 BOM、GB18030），请另存为 UTF-8 后重试",
        "unreadable encoding (tried UTF-8, UTF-8 with BOM, GB18030); save the file as UTF-8 and retry",
    ),
    "file_unreadable": ("无法读取文件：{detail}", "cannot read the file: {detail}"),
    "file_empty": ("文件没有数据行", "the file has no data rows"),
    # --- columns / fields ------------------------------------------------------------------
    "column_missing": (
        "缺少必填列“{field}”，可用列名：{accepted}",
        "required column {field!r} is missing; accepted headers: {accepted}",
    ),
    "field_required": ("“{field}”不能为空", "{field!r} must not be empty"),
    "code_digits": (
        "区划代码应为 12 位数字，实为“{value}”（Excel 可能已把它变成科学计数法，请把该列设为文本）",
        "the code must be 12 digits, got {value!r} (Excel may have turned it into a number; format the column as text)",
    ),
    "code_duplicate": (
        "区划代码 {value} 重复（第一次出现在第 {first} 行），每个村只能出现一次",
        "code {value} appears twice (first on line {first}); each village appears once",
    ),
    "township_conflict": (
        "乡镇代码 {prefix} 有两个名称：“{first}”（第 {first_line} 行）和“{value}”，同一乡镇请用同一名称",
        "township prefix {prefix} has two names: {first!r} (line {first_line}) and {value!r}; use one name",
    ),
    "county_conflict": (
        "县代码 {prefix} 有两个名称：“{first}”（第 {first_line} 行）和“{value}”，同一县请用同一名称",
        "county prefix {prefix} has two names: {first!r} (line {first_line}) and {value!r}; use one name",
    ),
    "lon_range": (
        "经度应在 73–136 之间（WGS84 度），实为“{value}”",
        "longitude must be within 73–136 (WGS84 degrees), got {value!r}",
    ),
    "lat_range": (
        "纬度应在 3–54 之间（WGS84 度），实为“{value}”",
        "latitude must be within 3–54 (WGS84 degrees), got {value!r}",
    ),
    "number": ("“{field}”应为数字，实为“{value}”", "{field!r} must be a number, got {value!r}"),
    "title_unknown": (
        "未知的文明村称号“{value}”，应为 无/县级/市级/省级/全国",
        "unknown title {value!r}; expected 无/县级/市级/省级/全国",
    ),
    "year": ("称号年份应为四位年份，实为“{value}”", "the title year must be a four-digit year, got {value!r}"),
    "households": ("户数应为不小于 0 的整数，实为“{value}”", "households must be an integer ≥ 0, got {value!r}"),
    "yes_no": ("示范村应为 是/否，实为“{value}”", "demonstration must be 是/否 (1/0, true/false), got {value!r}"),
    "geometry": (
        "要素没有可用的点位（需要 Point 或 Polygon），实为 {value}",
        "the feature has no usable location (Point or Polygon expected), got {value}",
    ),
    "crs_unknown": (
        "无法识别图层坐标系 {value}，请导出为 WGS84（EPSG:4326）",
        "unknown layer CRS {value}; export the layer as WGS84 (EPSG:4326)",
    ),
    # --- roads -----------------------------------------------------------------------------
    "road_name": (
        "道路要素缺少名称（name / 名称 / 道路名称）",
        "the road feature has no name (name / 名称 / 道路名称)",
    ),
    "road_geometry": (
        "道路要素应为 LineString 或 MultiLineString，实为 {value}",
        "a road must be a LineString or MultiLineString, got {value}",
    ),
    "buffer": ("缓冲距离应为正数（米），实为“{value}”", "the buffer must be a positive number of metres, got {value!r}"),
    # --- submissions -----------------------------------------------------------------------
    "json": ("不是有效的 JSON：{detail}", "not valid JSON: {detail}"),
    "json_object": ("每行应为一个 JSON 对象", "each line must be one JSON object"),
    "sub_field_type": ("字段“{field}”应为{expected}，实为 {value}", "field {field!r} must be {expected_en}, got {value}"),
    "sub_field_missing": ("缺少字段“{field}”", "field {field!r} is missing"),
    "gps_accuracy_range": ("定位精度应为不小于 0 的数字（米），实为 {value}", "gps_accuracy_m must be a number ≥ 0 (metres), got {value}"),
    "sub_id_duplicate": (
        "提交编号 {value} 在本文件中重复（第一次在第 {first} 行）",
        "submission id {value} appears twice in this file (first on line {first})",
    ),
    "village_unknown": (
        "村代码 {value} 不在村庄名录中，请先导入村庄名录",
        "village {value} is not in the registry; import the village list first",
    ),
    "round_id": (
        "测评轮次编号“{value}”无效：只能用字母、数字、-、_，最长 32 个字符（例如 2026-B3）",
        "invalid round id {value!r}: letters, digits, - and _ only, at most 32 characters (e.g. 2026-B3)",
    ),
    "date": ("日期应为 YYYY-MM-DD，实为“{value}”", "the date must be YYYY-MM-DD, got {value!r}"),
    "date_future": (
        "测评日期 {value} 晚于今天（{today}），请检查设备日期", "the date {value} is after today ({today}); check the device's date"),
    "date_outside_round": (
        "测评日期 {value} 超出轮次 {round}（{start} 至 {end}）{margin} 天以上",
        "the date {value} is more than {margin} days outside round {round} ({start} to {end})",
    ),
    "item_unknown": ("未知的测评项目 {value}（见 checklists --json）", "unknown item code {value} (see checklists --json)"),
    "item_unanswered": ("测评项目 {value} 未作答", "item {value} is not answered"),
    "answer_check": ("项目 {item} 应为 true/false，实为 {value}", "item {item} takes true/false, got {value}"),
    "answer_count": ("项目 {item} 应为不小于 0 的整数（发现问题数），实为 {value}", "item {item} takes an integer ≥ 0, got {value}"),
    "answer_grade": ("项目 {item} 应为 {grades} 之一，实为 {value}", "item {item} takes one of {grades}, got {value}"),
    "veto_unknown": ("未知的一票否决事项 {value}", "unknown veto item {value}"),
    "submission_conflict": (
        "提交编号 {value} 已存在且内容不同，未覆盖（同一编号只能提交一次）",
        "submission {value} already exists with different content; not overwritten",
    ),
    # --- rubric ----------------------------------------------------------------------------
    "yaml": ("YAML 格式错误：{detail}", "malformed YAML: {detail}"),
    "rubric_sum": (
        "{what}合计 {actual} 分，应为 {expected} 分",
        "{what_en} sum to {actual} points, expected {expected}",
    ),
    "rubric_duplicate": ("编码 {value} 重复", "code {value} is used twice"),
    "yaml_empty": ("文件为空", "the file is empty"),
    "yaml_key_duplicate": ("字段“{field}”重复出现", "field {field!r} appears twice"),
    "rubric_missing": ("缺少必填字段“{field}”", "required field {field!r} is missing"),
    "rubric_unknown": ("未知字段“{field}”，可用字段：{known}", "unknown field {field!r}; known fields: {known}"),
    "rubric_number": ("“{field}”应为大于 0 的数字，实为 {value}", "{field!r} must be a number greater than 0, got {value}"),
    "rubric_text": ("“{field}”应为非空文字，实为 {value}", "{field!r} must be non-empty text, got {value}"),
    "rubric_list": ("“{field}”应为非空列表", "{field!r} must be a non-empty list"),
    "rubric_mapping": ("“{field}”应为“名称: 值”形式的映射", "{field!r} must be a mapping of name: value"),
    "rubric_choice": ("“{field}”应为 {choices} 之一，实为 {value}", "{field!r} must be one of {choices}, got {value}"),
    "rubric_code": (
        "编码 {value} 无效：以字母开头，只能用字母、数字、-、_，最长 16 个字符",
        "invalid code {value}: a letter first, then letters, digits, - or _, at most 16 characters",
    ),
    "rubric_factor": ("等级系数应为 0–1 之间的数字，实为 {value}", "a grade factor must be a number within 0–1, got {value}"),
    "rubric_days": ("整改天数应为不小于 0 的整数，实为 {value}", "fix days must be an integer ≥ 0, got {value}"),
    "rubric_deduct": (
        "count 项目必须有 deduct（每处扣分），且为不大于分值的正数，实为 {value}",
        "a count item needs deduct (points off per problem), a positive number no larger than its points, got {value}",
    ),
    "rubric_deduct_extra": ("只有 count 项目才能有 deduct", "only count items take deduct"),
    "rubric_section_code": (
        "部分编码 {value} 与文件名 {expected}.yaml 不一致",
        "section code {value} does not match the file name {expected}.yaml",
    ),
    "rubric_pass_mark": (
        "达标分数线应大于 0 且不超过总分 {expected}，实为 {value}",
        "the pass mark must be above 0 and at most the total {expected}, got {value}",
    ),
    # --- usage -----------------------------------------------------------------------------
    "round_unknown": (
        "测评轮次“{value}”不存在，已有：{known}",
        "round {value!r} does not exist; known rounds: {known}",
    ),
    "submission_unknown": ("提交编号“{value}”不存在", "submission {value!r} does not exist"),
    "rubric_version_unknown": ("测评细则版本 {value} 不存在", "rubric version {value} is not kept"),
    "round_kind": ("未知的轮次类型“{value}”，可选：{known}", "unknown round kind {value!r}; choose one of {known}"),
    "round_dates": ("结束日期 {end} 早于开始日期 {start}", "the end date {end} is before the start date {start}"),
    "round_exists": ("测评轮次“{value}”已存在", "round {value!r} already exists"),
    "county_unknown": ("县代码“{value}”不在名录中，已有：{known}", "county {value!r} is not in the registry; known: {known}"),
    "target_range": ("目标占比应在 0–100 之间，实为“{value}”", "the target must be within 0–100, got {value!r}"),
    "target_by": ("请填写决定此目标的人或文件", "name who decided the target (a person or a document)"),
    "demo_refused": (
        "数据库 {db} 已有数据且不是演示库：演示县只能装入空数据库（请用 --db 指定一个新文件）",
        "the database {db} holds data and is not the demo: the demo county loads only into an empty database (use --db with a new file)",
    ),
    "export_county_only": (
        "省级上报文件须代表全县：只有负责全县的账号可以导出（本账号只负责部分乡镇）",
        "the provincial files speak for a whole county: only an account with the whole county in scope exports them",
    ),
    "import_interrupted": (
        "导入被中断（超过 {minutes} 分钟无进展，已被清理），未写入任何数据，请重新导入",
        "the import was interrupted (no progress for a long time, cleaned up); nothing was written, import again",
    ),
    "db_busy": (
        "数据库正忙（其他人正在保存），请稍后重试，已填写的内容不会丢失",
        "the database is busy (somebody else is saving); try again in a moment, nothing you entered is lost",
    ),
    "file_missing_db": ("找不到数据库文件“{value}”", "database file {value!r} not found"),
    "backup_bad": (
        "“{value}”不是完好的数据库备份（{detail}），未作任何更改",
        "{value!r} is not a sound database backup ({detail}); nothing was changed",
    ),
    "encoding_option": ("编码只能是 utf-8-sig 或 gbk，实为“{value}”", "encoding must be utf-8-sig or gbk, got {value!r}"),
    "schema_broken": (
        "数据库升级第 {value} 步后外键不一致（{detail}），已撤销，请把数据库文件交给技术人员",
        "step {value} of the database upgrade left broken references ({detail}); undone, hand the file to IT",
    ),
    "schema_newer": (
        "数据库版本 {value} 比本程序（{known}）新，请升级程序",
        "database schema {value} is newer than this program ({known}); upgrade the program",
    ),
    # --- tablet page (photos, position) ----------------------------------------------------
    "photo_unreadable": (
        "无法识别的图片（{detail}），请上传 JPG、PNG 或 HEIC 照片",
        "not a readable picture ({detail}); upload a JPG, PNG or HEIC photo",
    ),
    "photo_unknown": ("照片“{value}”不存在或已提交", "photo {value!r} does not exist or was submitted"),
    # --- accounts, review ------------------------------------------------------------------
    "user_exists": (
        "账号“{value}”或显示名“{display}”已被使用", "the account {value!r} or display name {display!r} is taken"),
    "user_unknown": ("账号“{value}”不存在", "account {value!r} does not exist"),
    "user_name": (
        "账号名“{value}”无效：只能用字母、数字、.、-、_，2–32 个字符",
        "invalid account name {value!r}: letters, digits, '.', '-', '_', 2–32 characters",
    ),
    "role_unknown": ("未知的角色“{value}”，可选：{known}", "unknown role {value!r}; choose one of {known}"),
    "county_code": ("县代码应为 6 位数字，实为“{value}”", "a county code has 6 digits, got {value!r}"),
    "township_scope": (
        "乡镇代码“{value}”应为 9 位数字且属于县 {county}",
        "township code {value!r} must have 9 digits and belong to county {county}",
    ),
    "liaison_townships": (
        "乡镇联络员须指定负责的乡镇（一个或多个乡镇代码）", "a township liaison needs one or more townships (9-digit codes)"),
    "password_short": (
        "密码至少 {n} 个字符", "the password needs at least {n} characters"),
    "password_stdin": (
        "请从标准输入提供密码（--password-stdin），例如：echo 密码 | python -m survey users add …",
        "give the password on standard input (--password-stdin), e.g. echo PASSWORD | python -m survey users add …",
    ),
    "login_failed": ("账号或密码错误", "wrong account name or password"),
    "login_locked": (
        "连续 {n} 次登录失败，账号已暂时锁定，请 {minutes} 分钟后再试",
        "{n} failed logins in a row: the account is locked, try again in {minutes} minutes",
    ),
    "login_disabled": ("账号已停用，请联系管理员", "the account is disabled; ask an administrator"),
    "forbidden": ("当前账号无权执行此操作", "this account may not do that"),
    "review_decided": (
        "提交 {value} 已审核（{status}），不能再次审核", "submission {value} was reviewed already ({status})"),
    "review_comment": ("退回时请填写退回意见", "write a comment when returning a submission"),
    "review_not_returned": (
        "提交 {value} 未被退回，不能重新修改", "submission {value} was not returned; it cannot be corrected"),
    # --- geo (belts, maps) -----------------------------------------------------------------
    "crs_mismatch": (
        "两个图层的坐标系不同（{left} 与 {right}），请先投影到同一坐标系再做空间连接",
        "the layers are in different CRSs ({left} and {right}); project both to one CRS before joining",
    ),
    "base_layer": (
        "未知的底图“{value}”，可选：{known}",
        "unknown base layer {value!r}; choose one of {known}",
    ),
    "base_layer_key": (
        "底图“{value}”需要密钥（设置环境变量 TIANDITU_KEY）",
        "base layer {value!r} needs a key (set TIANDITU_KEY)",
    ),
    "base_layer_url": (
        "自定义底图地址应以 http:// 或 https:// 开头并含 {{z}}、{{x}}、{{y}}，实为“{value}”",
        "a custom base layer URL must start with http:// or https:// and hold {{z}}, {{x}}, {{y}}; got {value!r}",
    ),
    # --- limits on files (core/limits.py): refused before the expensive work ---------------
    "too_large": (
        "文件大小 {size}，超过上限 {limit}，请拆分后分批导入",
        "the file is {size}, over the limit of {limit}; split it and import the parts",
    ),
    "too_many_rows": (
        "数据超过 {limit} 行的上限，请拆分后分批导入",
        "more than {limit} rows; split the file and import the parts",
    ),
    "too_many_columns": (
        "第 {limit} 列之后还有单元格（含设了格式的空单元格），超过列数上限，请删除多余的列",
        "there are cells beyond column {limit} (formatted empty cells count), the limit; delete the extra columns",
    ),
    "too_many_cells": (
        "单元格超过 {limit} 个的上限，请删除多余的列或拆分文件",
        "more than {limit} cells; delete extra columns or split the file",
    ),
    "text_long": (
        "文字长 {n} 个字符，超过 {limit} 个字符的上限",
        "the text is {n} characters long, over the limit of {limit}",
    ),
    "line_long": (
        "该行超过 {limit} 的长度上限",
        "the line is longer than the limit of {limit}",
    ),
    "utf8_line": (
        "该行不是有效的 UTF-8 文字（第 {column} 个字节），请把文件另存为 UTF-8",
        "the line is not valid UTF-8 (byte {column}); save the file as UTF-8",
    ),
    "json_depth": (
        "JSON 嵌套超过 {limit} 层的上限",
        "JSON nested deeper than {limit} levels, the limit",
    ),
    "json_constant": (
        "JSON 中不能有 {value}（NaN、Infinity 不是数字），请写数字或 null",
        "{value} is not allowed in JSON (NaN and Infinity are not numbers); write a number or null",
    ),
    "zip_members": (
        "压缩包内有 {n} 个文件，超过 {limit} 个的上限",
        "the zip holds {n} files, over the limit of {limit}",
    ),
    "zip_unpacked": (
        "压缩包解压后共 {size}，超过上限 {limit}（可能是“压缩炸弹”）",
        "the zip unpacks to {size}, over the limit of {limit} (a zip bomb?)",
    ),
    "zip_ratio": (
        "压缩包内“{value}”的压缩比为 {ratio}:1，超过 {limit}:1 的上限（可能是“压缩炸弹”）",
        "{value!r} in the zip unpacks {ratio} times its size, over the limit of {limit} (a zip bomb?)",
    ),
    "zip_path": (
        "压缩包内的路径“{value}”不安全（绝对路径、盘符、.. 或链接），已拒绝",
        "unsafe path {value!r} in the zip (absolute, a drive letter, .. or a link); refused",
    ),
    "shapefile_parts": (
        "压缩包中的 Shapefile“{value}”缺少 {missing}，请把 .shp、.shx、.dbf、.prj 一起压缩",
        "the Shapefile {value!r} in the zip has no {missing}; zip the .shp, .shx, .dbf and .prj together",
    ),
    "shapefile_count": (
        "压缩包中应有且只有一个 Shapefile（.shp），实有 {n} 个{names}",
        "the zip must hold exactly one Shapefile (.shp), it holds {n}{names}",
    ),
    "layer_features": (
        "图层有 {n} 个要素，超过 {limit} 个的上限，请拆分后分批导入",
        "the layer has {n} features, over the limit of {limit}; split it",
    ),
    "layer_vertices": (
        "图层共有 {n} 个坐标点，超过 {limit} 个的上限，请先简化线条或面",
        "the layer has {n} vertices, over the limit of {limit}; simplify the lines or polygons first",
    ),
    "crs_missing_metres": (
        ("坐标看来是米而不是经纬度（如 {value}），但图层没有声明投影坐标系（缺少 .prj，或 GeoJSON 未写 crs）；"
         "请连同 .prj 一起压缩，或导出为 WGS84（EPSG:4326）"),
        ("the coordinates look like metres, not degrees (e.g. {value}), but the layer declares no projected CRS "
         "(no .prj, or no crs in the GeoJSON); zip the .prj with it or export it as WGS84 (EPSG:4326)"),
    ),
    "layer_content": (
        "文件内容不是 {expected}，请检查文件",
        "the content is not {expected}; check the file",
    ),
    "upload_name": (
        "上传的文件名“{value}”不能使用（为空、是 . 或 ..、或只有路径），请使用带扩展名的文件名，如 名录.csv",
        "the upload's name {value!r} is unusable (empty, . or .., or only a path); use a name with an extension, e.g. villages.csv",
    ),
    "xml": ("XML 格式错误：{detail}", "malformed XML: {detail}"),
    "xml_depth": ("XML 嵌套超过 {limit} 层，已拒绝", "the XML nests deeper than {limit} levels; refused"),
    "xml_elements": ("XML 超过 {limit} 个元素，已拒绝", "the XML holds more than {limit} elements; refused"),
    "xml_dtd": (
        "XML 含文档类型（DTD）或实体声明，已拒绝（表单数据从不需要它们）",
        "the XML declares a document type (DTD) or entities; refused (form data never needs them)",
    ),
    "photo_too_large": (
        "照片文件 {size}，超过 {limit} 的上限",
        "the photo file is {size}, over the limit of {limit}",
    ),
    "photo_pixels": (
        "照片有 {mp} 百万像素{size}，超过 {limit} 百万像素的上限；请用相机的普通模式拍摄或缩小后上传",
        ("the photo has {mp} megapixels{size_en}, over the limit of {limit}; "
         "take it in the camera's normal mode or shrink it first"),
    ),
    "yaml_alias": (
        "不能使用 YAML 锚点或别名（{value}），测评细则中每项都应直接写出",
        "YAML anchors and aliases ({value}) are not allowed; write every item out",
    ),
    "yaml_depth": (
        "YAML 嵌套超过 {limit} 层的上限",
        "YAML nested deeper than {limit} levels, the limit",
    ),
    # --- the round bulletin (survey/bulletin.py) ------------------------------------------
    "county_required": (
        "数据库中不止一个县（或没有县），请用 --county 指定县代码，已有：{known}",
        "the database does not hold exactly one county; name one with --county (known: {known})",
    ),
    "report_out": (
        "测评通报保存为 Word 文件，文件名应以 .docx 结尾，实为“{value}”",
        "the bulletin is a Word file: the name must end in .docx, got {value!r}",
    ),
    # --- ODK Collect / KoboCollect: the XLSForm and its exports (survey.xlsform, survey.odk) --
    "odk_other_form": (
        ("这是表单“{value}”的导出，不是乡风测评表（缺少列“{field}”）：请导出本系统“设置”页生成的该轮次表单的数据"
         "（KoboToolbox 选“XML 值和标题”）"),
        ("this is an export of form {value!r}, not of a Xiangfeng assessment form (column {field!r} is missing): "
         "export the submissions of the round's form made on the Setup page (KoboToolbox: 'XML values and headers')"),
    ),
    "odk_version": (
        ("这些数据来自表单版本“{value}”（共 {n} 行），轮次 {round} 要求的表单版本是“{expected}”："
         "测评细则已改动，请下载该轮次的当前表单重新填报"),
        ("these rows come from form version {value!r} ({n} rows); round {round} expects version {expected!r}: "
         "the rubric changed, fill the round's current form again"),
    ),
    "odk_column_missing": (
        "缺少列“{field}”：导出时请包含全部题目，并用题目名称（XML 值）作列标题",
        "column {field!r} is missing: export every question, with the question names (XML values) as headers",
    ),
    "odk_choice": ("“{field}”应为 {expected} 之一，实为“{value}”", "{field!r} takes one of {expected}, got {value!r}"),
    "odk_grade": (
        "等级“{value}”与子项不符：{n} 个子项中 {met} 个符合，等级应为 {expected}",
        "grade {value!r} does not follow from the criteria: {met} of {n} met gives {expected}",
    ),
    "odk_veto_missing": ("答了“有一票否决事项”，却没有选是哪一项", "a veto item was said to apply, but none was chosen"),
    "odk_surveyor": (
        "没有测评员：请在 Collect 的 设置 → 用户和设备标识 → 表单元数据 中填写用户名",
        "no surveyor: set the username in Collect (Settings → User and device identity → Form metadata)",
    ),
    "odk_id": ("缺少提交编号（meta/instanceID）", "the instance id (meta/instanceID) is missing"),
    "odk_geopoint": (
        "定位“{value}”无法识别，应为“纬度 经度 高度 精度”",
        "unreadable geopoint {value!r}: expected 'latitude longitude altitude accuracy'",
    ),
    "odk_media_missing": ("照片“{value}”不在导出包的 media/ 文件夹中", "photo {value!r} is not in the media/ folder of the export"),
    "odk_zip_path": (
        "压缩包中的路径“{value}”会跳出解压目录（含 .. 或绝对路径），整个文件被拒绝",
        "the ZIP member path {value!r} escapes its folder (.. or an absolute path); the file is refused",
    ),
    "odk_zip_tables": (
        "压缩包顶层应有且只有一个 CSV 或 XLSX 数据表，实有 {n} 个",
        "the ZIP must hold exactly one CSV or XLSX table at its top level, it holds {n}",
    ),
    "odk_encoding": (
        "不是 UTF-8 编码（像是 GBK：可能被 Excel 另存过），请使用从 ODK Central 或 KoboToolbox 直接下载的文件",
        "not UTF-8 (looks like GBK: saved again by Excel?); use the file as downloaded from ODK Central or KoboToolbox",
    ),
    "odk_format": (
        "不支持的文件“{value}”：请上传 ODK Central 导出的 ZIP 或 CSV，或 KoboToolbox 导出的 CSV 或 XLSX",
        "unsupported file {value!r}: upload an ODK Central export (ZIP or CSV) or a KoboToolbox export (CSV or XLSX)",
    ),
    # --- the tablet's sync (survey/fieldwork.py sync, ui/endpoints/tablet.py) ----------------
    "tablet_ops": ("同步请求格式不对：应为操作列表（最多 {limit} 条）", "a sync request holds a list of at most {limit} operations"),
    "tablet_op_kind": ("未知的操作“{value}”", "unknown operation {value!r}"),
    "tablet_op_seq": ("操作序号“{value}”无效（应为正整数）", "invalid operation number {value!r} (a positive integer)"),
    "tablet_op_shape": ("操作格式不对：{value}", "a malformed operation: {value}"),
    "tablet_grade_by_criteria": (
        "等级项目 {item} 按子项逐条作答，不能直接填等级",
        "grade item {item} is answered criterion by criterion, not with a grade",
    ),
    "tablet_criterion": ("项目 {item} 没有第 {value} 个子项", "item {item} has no criterion number {value}"),
    "tablet_criterion_value": (
        "项目 {item} 第 {index} 个子项应为 true/false/null，实为 {value}",
        "criterion {index} of item {item} takes true/false/null, got {value}",
    ),
    "tablet_note": ("项目 {item} 的情况说明应为文字，实为 {value}", "the note of item {item} must be text, got {value}"),
    "tablet_veto": ("一票否决事项应为编码列表或 null，实为 {value}", "the veto answer must be a list of codes or null, got {value}"),
    "tablet_fix": ("位置格式不对：{value}", "a malformed position: {value}"),
    "tablet_draft_id": ("草稿编号“{value}”无效", "invalid draft id {value!r}"),
    "tablet_draft_stale": (
        "平板上的草稿不是服务器上最新的一份，请稍候重试（已自动同步）",
        "the tablet's draft is not the server's current one; try again after it synced",
    ),
    "tablet_round_closed": (
        "测评轮次 {round} 已结束（{end}，另加 {margin} 天补交期），本村排队的答案未保存",
        "round {round} has closed ({end}, plus {margin} days to hand in late); the answers waiting for this village were not stored",
    ),
    "tablet_submitted": (
        "本村本轮已提交（{date}），排队的答案未保存；如需修改，请县文明办退回后在“我的提交”中更正",
        "this village was submitted already ({date}); the answers waiting were not stored; to change it, have the office return it and correct it under My submissions",
    ),
    "tablet_returned": (
        "本村的提交已被县文明办退回：请在“我的提交”中打开更正；排队的答案未保存",
        "this village's submission was returned by the office: open the correction under My submissions; the answers waiting were not stored",
    ),
    "tablet_sha256": ("原图的 SHA-256 应为 64 位十六进制数，实为“{value}”", "the original's SHA-256 must be 64 hex digits, got {value!r}"),
    "tablet_signed_out": ("登录已失效，请重新登录；未发送的答案仍保存在平板上", "signed out: sign in again; the answers not yet sent stay on the tablet"),
    "tablet_request": ("请求无效：{detail}", "a bad request: {detail}"),
    # --- end of the tablet's sync ---------------------------------------------------------------
    "limit_exceeded": ("{what}超过上限 {limit}（实为 {value}）", "{what_en} exceeds the limit of {limit} (got {value})"),
    # --- officer: criteria, evidence, veto records, townships, title history, settings ------
    # (survey/rubric.py, survey/submissions.py, survey/vetoes.py, survey/titles.py, survey/settings.py)
    "rubric_factor_order": (
        "等级系数应从高到低排列：{value} 高于上一等级 {previous} 的 {expected}",
        "grade factors run best first: {value} is above {expected} of the grade before ({previous})",
    ),
    "rubric_grades_extra": ("只有 grade 项目才能有 grades（等级系数）", "only grade items take grades (factors)"),
    "unmet_type": (
        "“{field}”应为未达到子项的序号列表（1–{n}，按 checklists --json 中 criteria 的顺序），实为 {value}",
        "{field!r} takes the numbers of the criteria not met (1–{n}, in the order of criteria in checklists --json), got {value}",
    ),
    "unmet_item": ("“{field}”：项目 {value} 不是等级项目，没有子项", "{field!r}: item {value} is not a grade item and has no criteria"),
    "unmet_grade": (
        "项目 {item} 的等级 {value} 与子项不符：{n} 个子项中 {missed} 个未达到，等级应为 {expected}",
        "item {item}: grade {value} does not follow from its criteria: {missed} of {n} not met gives {expected}",
    ),
    "criteria_incomplete": (
        "项目 {item} 的子项未全部作答（{answered}/{n}）", "item {item}: not every criterion is answered ({answered} of {n})"),
    "table_column_missing": (
        "缺少必填列“{field}”，可用列名：{accepted}", "required column {field!r} is missing; accepted headers: {accepted}"),
    "veto_code": (
        "“{field}”应为 12 位村代码或 9 位乡镇代码，实为“{value}”",
        "{field!r} must be a 12-digit village code or a 9-digit township code, got {value!r}",
    ),
    "place_unknown": (
        "代码 {value} 不在名录中（村或乡镇），请先导入村庄名录",
        "{value} is neither a village nor a township of the registry; import the village list first",
    ),
    "veto_item_unknown": (
        "未知的一票否决事项“{value}”，应为 {known} 之一（见 checklists --json）",
        "unknown veto item {value!r}; expected one of {known} (see checklists --json)",
    ),
    "veto_date_future": (
        "发生日期 {value} 晚于今天（{today}）：否决事项记录的是已发生的事实",
        "the date {value} is after today ({today}): a veto record states something that happened",
    ),
    "veto_source": ("请填写来源部门（如 县纪委、县公安局）", "name the source department (e.g. 县纪委, 县公安局)"),
    "veto_duplicate": (
        "同一地点、事项和日期的否决记录已在第 {first} 行", "the same place, item and date is on line {first} already"),
    "veto_record_unknown": ("否决记录 {value} 不存在", "veto record {value} does not exist"),
    "veto_record_state": (
        "否决记录 {value} 当前为“{state}”，不能{action}", "veto record {value} is {state}: it cannot be {action}"),
    "veto_reason": ("请填写撤销或不予认定的理由", "give the reason for withdrawing or rejecting it"),
    "township_code": (
        "乡镇代码应为 9 位数字，实为“{value}”", "a township code has 9 digits, got {value!r}"),
    "township_county_unknown": (
        "乡镇代码 {value} 所属的县 {county} 不在名录中，请先导入村庄名录",
        "township {value}: its county {county} is not in the registry; import the village list first",
    ),
    "township_title_conflict": (
        "乡镇 {prefix} 的文明乡镇称号有两个值：“{first}”（第 {first_line} 行）和“{value}”",
        "township {prefix} has two civilized-township titles: {first!r} (line {first_line}) and {value!r}",
    ),
    "title_level": (
        "称号级别应为 县级/市级/省级/全国，实为“{value}”", "the title level must be 县级/市级/省级/全国, got {value!r}"),
    "title_action": ("称号变动应为 授予 或 摘牌，实为“{value}”", "a title change is 授予 (award) or 摘牌 (removal), got {value!r}"),
    "title_skip": (
        "{date}：从“{current}”直接授予“{value}”跨越了级别，须填写命名文件的文号",
        "{date}: awarding {value!r} straight from {current!r} skips a level; give the document number of the decision",
    ),
    "title_held": ("{date}：已持有“{value}”称号，不能再次授予", "{date}: the title {value!r} is held already"),
    "title_not_held": ("{date}：未持有“{value}”称号，不能摘牌", "{date}: the title {value!r} is not held; nothing to remove"),
    "title_date": (
        "日期应为 YYYY-MM-DD 且不晚于今天（{today}），实为“{value}”",
        "the date must be YYYY-MM-DD and not after today ({today}), got {value!r}",
    ),
    "setting_unknown": ("未知的设置项“{field}”，可用：{known}", "unknown setting {field!r}; known settings: {known}"),
    "setting_missing": ("缺少设置项“{field}”", "the setting {field!r} is missing"),
    "setting_range": (
        "“{field}”应为{expected}，实为 {value}", "{field!r} must be {expected_en}, got {value}"),
    "setting_choice": ("“{field}”应为 {choices} 之一，实为 {value}", "{field!r} must be one of {choices}, got {value}"),
    "setting_by": ("请填写改动人或依据（人名或文件）", "name who decided the change (a person or a document)"),
    # --- OpenRosa: Collect sends straight to the server (survey.openrosa, ui/endpoints/openrosa.py) --
    "openrosa_https": (
        "请在 Collect 中使用 HTTPS 服务器地址（https://…/odk）：明文 HTTP 只允许本机（127.0.0.1）连接",
        "use the server's HTTPS address in Collect (https://…/odk): plain HTTP is allowed from this machine (127.0.0.1) only",
    ),
    "openrosa_digest_unset": (
        "账号 {value} 还不能用 Digest 认证：请先用该账号的密码在网页上登录一次（或让 Collect 通过 HTTPS 连接）",
        "account {value} has no Digest secret yet: sign in once with its password on the web page (or let Collect connect over HTTPS)",
    ),
    "openrosa_role": (
        "只有测评员（或管理员）账号能用 Collect 下载表单和发送测评结果",
        "only surveyor (or administrator) accounts download forms and send assessments from Collect",
    ),
    "openrosa_form_unknown": (
        "服务器上没有开放中的表单“{value}”：请在 Collect 中重新“获取空白表单”",
        "the server has no open form {value!r}: get the blank forms again in Collect",
    ),
    "openrosa_not_found": (
        "没有这个地址：Collect 的服务器地址应为本系统地址加 /odk（例如 https://xiangfeng.county.lan/odk）",
        ("no such address: Collect's server address is this app's address followed by /odk "
         "(e.g. https://xiangfeng.county.lan/odk)"),
    ),
    "openrosa_version": (
        ("这份表单的版本是“{value}”，轮次 {round} 现在的表单版本是“{expected}”（测评细则已改动）："
         "请在 Collect 中“获取空白表单”下载新版本，用新表单重新填写这个村"),
        ("this form is version {value!r}; round {round} now expects version {expected!r} (the rubric changed): "
         "get the blank form again in Collect and fill the village in the new form"),
    ),
    "openrosa_village": (
        "村代码 {value} 不在本账号的村庄名单中：请在 Collect 中“获取空白表单”更新村庄名单；仍然不在的，请联系县文明办",
        ("village {value} is not among this account's villages: get the blank form again in Collect to update the "
         "list; if it is still missing, ask the county office"),
    ),
    "openrosa_photo_missing": (
        "没有收到照片“{value}”：请在 Collect 中再发送一次这份表单",
        "photo {value!r} did not arrive: send the form again from Collect",
    ),
    "openrosa_too_large": (
        "这次发送的数据有 {size}，超过 {limit} 的上限",
        "this upload is {size}, over the limit of {limit}",
    ),
    "openrosa_no_xml": (
        "缺少表单数据（multipart 中的 xml_submission_file 部分）",
        "the form data is missing (the xml_submission_file part of the multipart body)",
    ),
    "openrosa_multipart": (
        "无法读取这次发送的内容（multipart）：{detail}",
        "cannot read this upload (multipart): {detail}",
    ),
    "openrosa_busy": (
        "服务器暂存的分批照片已满，请几分钟后在 Collect 中再发送",
        "the server holds too many photos of split uploads just now: send again from Collect in a few minutes",
    ),
    # --- the fix-it ledger (整改台账, survey/ledger.py) ---------------------------------------
    "township_unknown": ("乡镇代码“{value}”不在名录中", "township {value!r} is not in the registry"),
    "ledger_unknown": ("整改台账中没有编号为 {value} 的条目", "there is no ledger entry {value}"),
    "ledger_status": (
        "未知的整改状态“{value}”，可选：open（待整改）、fixed（已整改）、closed（已销号）、overdue（逾期）",
        "unknown ledger status {value!r}; choose open, fixed, closed or overdue",
    ),
    "ledger_move": (
        ("条目 {value} 现为“{status}”，不能{move}：状态只能按 待整改 → 已整改 → 已销号 推进，"
         "复查未通过时 已整改 → 待整改"),
        ("entry {value} is {status_en}: it cannot be {move_en}; an entry moves only open → fixed → closed, "
         "or fixed → open when a re-check fails"),
    ),
    "ledger_fix_text": ("请填写整改情况（做了什么）", "describe the fix (what was done)"),
    "ledger_after_photo": (
        "该问题以照片为证据，请至少上传一张整改后照片", "this finding's evidence is a photo: add at least one photo taken after the fix"),
    "ledger_recheck_photo": ("复查请至少上传一张现场照片", "a re-check needs at least one photo taken on the spot"),
    "ledger_recheck_note": ("复查未通过时请写明仍存在的问题", "say what is still wrong when a re-check fails"),
    "ledger_text": ("请填写发现的问题", "describe the problem found"),
    "ledger_deadline_past": (
        "整改期限 {value} 早于今天（{today}），请选择今天或以后的日期",
        "the deadline {value} is before today ({today}); choose today or a later date",
    ),
    "ledger_photos_many": ("一次最多上传 {limit} 张照片，实为 {n} 张", "at most {limit} photos at a time, got {n}"),
    "ledger_out": (
        "台账文件名应以 .csv 或 .xlsx 结尾，实为“{value}”", "the ledger file name must end in .csv or .xlsx, got {value!r}"),
    "approve_as_role": (
        "账号“{value}”不是审核员或管理员，不能审核提交", "account {value!r} is not a reviewer or administrator: it cannot approve"),
    # --- ten-star households: the star set, the register, the rating (survey.stars, survey.households)
    "stars_count": (
        "十星级文明户应正好有 {expected} 颗星，这里有 {n} 颗",
        "a ten-star set has exactly {expected} stars, this one has {n}"),
    "stars_name_duplicate": ("星名“{value}”重复", "the star name {value!r} is used twice"),
    "stars_percent": (
        "“{field}”应为 0–100 之间的百分数（不写 %），实为 {value}",
        "{field!r} must be a percentage within 0–100 (without %), got {value}",
    ),
    "stars_whole": ("“{field}”应为不小于 1 的整数，实为 {value}", "{field!r} must be a whole number ≥ 1, got {value}"),
    "stars_spot_item": (
        "抽查项目 {value} 应为测评细则 {section} 部分的 count（按户扣分）项目",
        "the spot-check item {value} must be a count item of the rubric's {section} section",
    ),
    "tier_range": (
        "等级的星数 {value} 无效：min 和 max 应为 1–{stars} 之间的整数，且 min 不大于 max",
        "invalid star range {value}: min and max are whole numbers within 1–{stars}, min no larger than max",
    ),
    "tier_overlap": (
        "等级的星数 {value} 与上一等级（{other}）重叠或顺序颠倒：等级按星数从低到高排列，不得重叠",
        ("the star range {value} overlaps the tier before it ({other}) or comes before it; list tiers from fewest "
         "stars up"),
    ),
    "period_format": (
        "评星周期“{value}”格式不对，应写成如 {example}",
        "the rating period {value!r} is malformed; write it as e.g. {example}"),
    "table_format": (
        "不支持的文件类型“{suffix}”，请使用 CSV、XLSX 或 XLS",
        "unsupported file type {suffix!r}; use CSV, XLSX or XLS"),
    "household_duplicate": (
        "户号 {value} 在村 {village} 中重复（第一次出现在第 {first} 行），每户只能出现一次",
        "household {value} of village {village} is listed twice (first on line {first}); list each household once",
    ),
    "household_members": (
        "家庭人口应为不小于 1 的整数，实为“{value}”",
        "members must be a whole number ≥ 1, got {value!r}",
    ),
    "household_other_village": (
        "该行属于村 {value}，而本次导入的是村 {expected}（--village）；请分开导入各村的名册",
        ("this row belongs to village {value}, the import is for village {expected} (--village); import each "
         "village's list apart"),
    ),
    "household_unknown": (
        "户号“{value}”不在村 {village} 的名册中",
        "household {value!r} is not in the register of village {village}",
    ),
    "star_unknown": (
        "星“{value}”不在本县的十星标准中，可选：{known}",
        "star {value!r} is not in the county's set; choose from {known}",
    ),
    "star_twice": ("星“{value}”重复", "star {value!r} is given twice"),
    "stars_too_many": ("一户最多十颗星，这里有 {n} 颗", "a household has at most ten stars, this one {n}"),
    "disqualifier_unknown": (
        "未知的否决情形“{value}”，可选：{known}", "unknown disqualifier {value!r}; choose from {known}"),
    "disqualified_title": (
        "有否决情形“{value}”的户不能评为文明户：{n} 颗星已达到“{tier}”，请减少星数或去掉否决情形",
        ("a household with the disqualifier {value!r} cannot get a title: {n} stars reach {tier_en}; give fewer "
         "stars or remove the disqualifier"),
    ),
    "rating_state": (
        "户 {value} 的 {period} 评星现为“{state}”，不能{action}",
        "the {period} rating of household {value} is {state_en}: it cannot be {action_en}",
    ),
    "rating_unknown": ("户 {value} 没有 {period} 的评星记录", "household {value} has no rating for {period}"),
    "rating_none": (
        "村 {village} 没有处于“{state}”的 {period} 评星",
        "village {village} has no {period} rating that is {state_en}",
    ),
    "notice_dates": (
        "公示期应写开始和结束日期（YYYY-MM-DD），结束不早于开始，实为 {start} 至 {end}",
        "a notice needs a start and an end date (YYYY-MM-DD), the end not before the start; got {start} to {end}",
    ),
    "notice_short": (
        "公示期 {start} 至 {end} 共 {n} 天，短于本县规定的 {days} 天（含首尾两天）",
        "the notice {start} to {end} lasts {n} days, shorter than the county's {days} days (both ends counted)",
    ),
    "notice_running": (
        "户 {value} 的公示期到 {end} 才结束，公示期满后才能授予称号",
        "the notice of household {value} runs until {end}; award the title after it ends",
    ),
    "notice_none": (
        "村 {village} 没有 {period} 已公示的评星结果，无法生成公示名单",
        "village {village} has no {period} rating put on notice: there is no notice to print",
    ),
    "households_out": (
        "文件名应以 .csv（名册）或 .docx（公示名单）结尾，实为“{value}”",
        "the file name must end in .csv (the register) or .docx (the public notice), got {value!r}",
    ),
    # --- township boundaries and belts managed on a page (issue 19, items 10-11) ---------------
    "boundary_crs_missing": (
        ("图层没有声明坐标系（Shapefile 缺少 .prj），无法确定坐标含义；请把 .prj 一起压缩，"
         "或导出为 WGS84（EPSG:4326）的 GeoJSON"),
        ("the layer declares no CRS (the Shapefile has no .prj), so its coordinates cannot be read; "
         "zip the .prj with it or export it as GeoJSON in WGS84 (EPSG:4326)"),
    ),
    "boundary_code": (
        "乡镇代码应为 9 位数字（字段 code / 乡镇代码 / 区划代码），实为“{value}”",
        "the township code must be 9 digits (field code / 乡镇代码 / 区划代码), got {value!r}",
    ),
    "boundary_geometry": (
        "乡镇边界应为 Polygon 或 MultiPolygon，实为 {value}",
        "a township boundary must be a Polygon or MultiPolygon, got {value}",
    ),
    "boundary_county": (
        "乡镇代码 {value} 不在名录的任何县内，请先导入村庄名录",
        "township code {value} is in no county of the registry; import the village list first",
    ),
    "belt_radius": (
        "辐射半径应为 100 至 50000 米之间的数，实为“{value}”",
        "the radiation radius must be between 100 and 50,000 metres, got {value!r}",
    ),
    "belt_reason": ("请写明手动调整的原因", "say why the village is added or removed by hand"),
    "road_unknown": ("没有名为“{value}”的示范带道路", "no belt road named {value!r}"),
}

#: key -> (Chinese, English) warnings: returned, never raised.
WARNINGS: dict[str, tuple[str, str]] = {
    "gbk_unrepresentable": (
        "第 {line} 行含 GBK 无法表示的字符“{value}”，已按 GB18030 写出，只支持 GBK 的软件可能显示为乱码",
        "line {line} holds characters GBK cannot encode ({value!r}); written as GB18030",
    ),
    "date_near_round": (
        "测评日期 {value} 不在轮次 {round} 的日期内（{start} 至 {end}），请核实",
        "the date {value} lies outside round {round} ({start} to {end}); please check",
    ),
    "gps_accuracy": ("定位精度 {value} 米，差于 {limit} 米", "GPS accuracy {value} m is worse than {limit} m"),
    "odk_no_media": (
        "导出没有附带照片文件：{n} 张照片未导入（需要照片时，请从 ODK Central 下载含照片的 ZIP）",
        "the export carries no photo files: {n} photos were not imported (download Central's ZIP with media for them)",
    ),
    "gps_distance": ("测评位置距村庄登记位置 {value} 公里，超过 {limit} 公里", "the surveyed point is {value} km from the village, more than {limit} km"),
    # --- the round bulletin (survey/bulletin.py) ------------------------------------------
    "pdf_no_soffice": (
        "未安装 LibreOffice（soffice），只生成了 Word 文件；安装 libreoffice-writer 后可同时生成 PDF",
        "LibreOffice (soffice) is not installed: only the Word file was written; install libreoffice-writer for a PDF",
    ),
    "pdf_failed": ("LibreOffice 未能转换为 PDF：{detail}", "LibreOffice could not convert to PDF: {detail}"),
    "chart_no_cjk_font": (
        "未找到中文字体（Noto Sans CJK），图中的中文可能显示为方框；请安装 fonts-noto-cjk",
        "no CJK font (Noto Sans CJK) found: Chinese in the chart may show as boxes; install fonts-noto-cjk",
    ),
    # --- is the provincial export ready to send (survey/export.py readiness) ----------------
    "export_unreviewed": (
        "{n} 个村（共 {total} 个）的测评结果尚未审核（待审核）：报送前请先审核",
        "{n} of {total} villages are not reviewed yet (pending): review them before sending",
    ),
    "export_none_assessed": (
        "本轮本县还没有任何村完成测评：村级测评表是空的",
        "no village of this county was assessed in this round: the village table is empty",
    ),
    "export_outside_round": (
        "{n} 个村的测评日期不在本轮日期内（{start} 至 {end}）：请核实测评日期或轮次",
        "{n} villages were surveyed outside the round's dates ({start} to {end}): check the dates or the round",
    ),
}


def render(key: str, lang: str | None = None, **fields) -> str:
    """The message for ``key``: in ``lang`` ("zh" or "en": what a page shows in its language),
    or both as ``中文（English）`` (the command line, logs)."""
    table = MESSAGES if key in MESSAGES else WARNINGS
    zh, en = table[key]
    if lang == "zh":
        return zh.format(**fields)
    if lang == "en":
        return en.format(**fields)
    return f"{zh.format(**fields)}（{en.format(**fields)}）"


@dataclass(frozen=True)
class Problem:
    """One located problem: ``FILE:LINE: field: message``. ``line`` is 1-based (or the row /
    feature number of non-text formats); ``None`` when the problem is about the whole file.
    ``message`` holds both languages; :meth:`text` gives one."""

    file: str
    line: int | None
    field: str | None
    key: str
    message: str
    fields: tuple[tuple[str, object], ...] = ()

    def where(self) -> str:
        place = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        return f"{place}: {self.field}: " if self.field else f"{place}: "

    def text(self, lang: str | None = None) -> str:
        """``FILE:LINE: field: message`` with the message in ``lang`` (both when None)."""
        if lang is None:
            return str(self)
        try:
            return self.where() + render(self.key, lang, field=self.field, **dict(self.fields))
        except (KeyError, IndexError):  # built by hand without its fields: both languages
            return str(self)

    def __str__(self) -> str:
        return f"{self.where()}{self.message}"


def problem(key: str, file: str, line: int | None = None, field: str | None = None, **fields) -> Problem:
    """Build a located :class:`Problem` from the catalogue."""
    return Problem(file=file, line=line, field=field, key=key, message=render(key, field=field, **fields),
                   fields=tuple(fields.items()))


class SurveyError(Exception):
    """Base of every error the domain raises."""

    exit_code = 1

    def text(self, lang: str | None = None) -> str:
        """What went wrong, in ``lang`` ("zh", "en"; both when None)."""
        return str(self)


class DataError(SurveyError):
    """Input data is wrong. Carries *every* problem found; nothing was written."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def text(self, lang: str | None = None) -> str:
        return "\n".join(p.text(lang) for p in self.problems)


class UsageError(SurveyError):
    """The request is wrong (unknown round, bad option value)."""

    exit_code = 2

    def __init__(self, key: str, **fields):
        self.key = key
        self.fields = fields
        super().__init__(render(key, **fields))

    def text(self, lang: str | None = None) -> str:
        return render(self.key, lang, **self.fields)


class NotFound(UsageError):
    """A named round, county or village does not exist. Exit status 1 (wrong data named)."""

    exit_code = 1
