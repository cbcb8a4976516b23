"""The one place for Chinese display text: labels for codes and the audit's evidence sentences."""

from __future__ import annotations

from emergency.domain.enums import (
    AckChannel,
    AreaMatch,
    CapMsgType,
    CapStatus,
    Category,
    Channel,
    DrillKind,
    DrillStatus,
    FindingType,
    HazardAction,
    HazardCategory,
    HazardGrade,
    HazardStatus,
    InspectionResult,
    InspectionStatus,
    MonitoringKind,
    ObligationKind,
    PlanKind,
    PlanReviewReason,
    RecipientKind,
    ReportKind,
    RiskLevel,
    Severity,
    SupplyMovementKind,
    SupportKind,
    SupportStatus,
    WarningAction,
    WarningLevel,
    WarningOrigin,
    WarningStatus,
)
from emergency.domain.ledgers import Completion, Supervision

FINDING_LABELS: dict[FindingType, str] = {
    FindingType.LATE: "迟报",
    FindingType.MISSING: "漏报",
    FindingType.FALSE: "谎报",
    FindingType.CONCEALED: "瞒报",
}

OBLIGATION_LABELS: dict[ObligationKind, str] = {
    ObligationKind.INITIAL_PHONE: "电话首报",
    ObligationKind.INITIAL_WRITTEN: "书面首报",
    ObligationKind.FOLLOW_UP_CADENCE: "定时续报",
    ObligationKind.FOLLOW_UP_CHANGE: "伤亡变化续报",
    ObligationKind.FINAL: "终报",
}

REPORT_KIND_LABELS: dict[ReportKind, str] = {
    ReportKind.INITIAL: "首报",
    ReportKind.FOLLOW_UP: "续报",
    ReportKind.FINAL: "终报",
}

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.PHONE: "电话",
    Channel.WRITTEN: "书面",
    Channel.PLATFORM: "信息平台",
    Channel.UNKNOWN: "方式不详",
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.NATURAL_DISASTER: "自然灾害",
    Category.ACCIDENT: "事故灾难",
    Category.PUBLIC_HEALTH: "公共卫生事件",
    Category.SOCIAL_SECURITY: "社会安全事件",
}

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.I: "特别重大（I级）",
    Severity.II: "重大（II级）",
    Severity.III: "较大（III级）",
    Severity.IV: "一般（IV级）",
}

FIELD_LABELS: dict[str, str] = {
    "occurred_at": "事发时间",
    "known_at": "接报时间",
    "location": "事发地点",
    "severity": "事件等级",
    "summary": "事件简要经过",
    "measures": "已采取措施",
    "deaths": "死亡人数",
    "missing": "失踪人数",
    "trapped": "被困人数",
    "serious_injuries": "重伤人数",
    "injuries": "受伤人数",
    "direct_loss_yuan": "直接经济损失",
}

STATUS_LABELS: dict[str, str] = {
    "met": "已按时报送",
    "met_late": "超时报送",
    "open": "待报送",
    "overdue": "已超时未报",
}

# Evidence sentences: one sentence a person can check against the record. Times are Asia/Shanghai.
EVIDENCE = {
    "late": "{obligation}应于{due}前报送，{report}于{submitted}报送，超时{minutes}分钟。",
    "missing_obligation": "{obligation}应于{due}前报送（{why}），至{audit}未见报送。",
    "missing_elements": "{report}（{kind}，{submitted}报送）未报必报要素：{elements}。",
    "concealed_never": "{known}已获悉事件，首报时限{due}，至{audit}无任何报告。",
    "concealed_exposed": (
        "首报时限{due}已过仍未报告；{source}于{signal_at}已反映该事件（{signal}），"
        "首次报告{report}迟至{submitted}才报送。"
    ),
    "false_figures": "{report}（{submitted}报送）所报{items}，少于{truth_at}已核实的数字（伤亡人数不实，俗称瞒报伤亡人数）。",
    "false_time": "{report}称{field}为{stated}，比实际{actual}晚{minutes}分钟，超过容差{tolerance}分钟。",
    "false_severity": "{report}称事件等级为{stated}，而{truth_at}已核实的情况对应{supported}。",
    "false_lowered": "{report}所报{items}，低于此前报告所报数字，且未附更正说明。",
}

WHY_MISSING = {
    ObligationKind.INITIAL_PHONE: "获悉事件后须先行电话报告",
    ObligationKind.INITIAL_WRITTEN: "获悉事件后须书面报告",
    ObligationKind.FOLLOW_UP_CADENCE: "事件处置期间须定时续报",
    ObligationKind.FOLLOW_UP_CHANGE: "伤亡等情况发生变化须当日续报",
    ObligationKind.FINAL: "事件结束后须报送终报",
}

URGENCY: dict[ReportKind, str] = {
    ReportKind.INITIAL: "特急",
    ReportKind.FOLLOW_UP: "加急",
    ReportKind.FINAL: "平急",
}
"""紧急程度 printed on each report (GB/T 9704: 特急, 加急 for telegrams; 平急 for ordinary urgency)."""

DOCUMENT_NUMBER = "正阳应急〔{year}〕{number}号"
"""发文字号 of the office's emergency reports."""

CLOCK_MESSAGES: dict[str, str] = {
    "reminder": "【报送提醒】{title}：{label}应于{due}前报送，请{recipient}抓紧办理（{rule}）。",
    "breach": "【已超时】{title}：{label}时限{due}已过仍未报送，已记录迟报；请{recipient}立即报送。",
    "escalation": "【超时升级】{title}：{label}时限{due}已过仍未报送，请{recipient}督促立即报送。",
    "evidence": "{title}：{label}应于{due}前报送，至{at}仍未报送，时限届满即记录为{finding}。",
}
"""Reminder, breach and escalation messages sent through the outbox, and a live breach finding's evidence."""

SIGNOFF_LABEL = "{report}签发"
"""The label of a sign-off obligation: the draft waits for its 签发人."""

SIGNOFF_SOURCE = "信息报送须经签发人签发后报出；签发等待期间报送时限照常计算"
"""Why a sign-off has the report's deadline."""

RISK_LEVEL_LABELS: dict[RiskLevel, str] = {
    RiskLevel.MAJOR: "重大风险",
    RiskLevel.SIGNIFICANT: "较大风险",
    RiskLevel.GENERAL: "一般风险",
    RiskLevel.LOW: "低风险",
}

RISK_LEVEL_COLOURS: dict[RiskLevel, str] = {
    RiskLevel.MAJOR: "红",
    RiskLevel.SIGNIFICANT: "橙",
    RiskLevel.GENERAL: "黄",
    RiskLevel.LOW: "蓝",
}
"""安全风险四色分级 (红橙黄蓝), as ledgers mark the levels."""

INSPECTION_STATUS_LABELS: dict[InspectionStatus, str] = {
    InspectionStatus.DUE: "待检查",
    InspectionStatus.DONE: "已检查",
    InspectionStatus.MISSED: "逾期未检",
}

INSPECTION_RESULT_LABELS: dict[InspectionResult, str] = {
    InspectionResult.PASSED: "未发现隐患",
    InspectionResult.FINDING: "发现隐患",
}

HAZARD_GRADE_LABELS: dict[HazardGrade, str] = {
    HazardGrade.GENERAL: "一般事故隐患",
    HazardGrade.MAJOR: "重大事故隐患",
}

HAZARD_CATEGORY_LABELS: dict[HazardCategory, str] = {
    HazardCategory.PEOPLE: "人的不安全行为",
    HazardCategory.THINGS: "物的不安全状态",
    HazardCategory.ENVIRONMENT: "环境的不安全因素",
    HazardCategory.MANAGEMENT: "管理上的缺陷",
}

HAZARD_STATUS_LABELS: dict[HazardStatus, str] = {
    HazardStatus.OPEN: "整改中",
    HazardStatus.EXTENSION_REQUESTED: "延期申请中",
    HazardStatus.REPORTED_FIXED: "待复查验收",
    HazardStatus.CLOSED: "已销号",
}

HAZARD_ACTION_LABELS: dict[HazardAction, str] = {
    HazardAction.FOUND: "发现隐患",
    HazardAction.NOTICE_ISSUED: "下达整改通知书",
    HazardAction.REPORTED_TO_DISTRICT: "报告区政府（挂牌督办）",
    HazardAction.EXTENSION_REQUESTED: "申请延期",
    HazardAction.EXTENSION_APPROVED: "批准延期",
    HazardAction.EXTENSION_REFUSED: "不予延期",
    HazardAction.FIX_REPORTED: "报告整改完成",
    HazardAction.VERIFIED: "复查验收合格",
    HazardAction.REVERIFY_FAILED: "复查验收不合格",
    HazardAction.CLOSED: "销号",
    HazardAction.ESCALATED: "逾期升级督办",
}

SOURCE_ACTIVE_WORDS: tuple[str, ...] = ("在用", "正常", "启用", "有效", "是")
SOURCE_INACTIVE_WORDS: tuple[str, ...] = ("停用", "注销", "已注销", "已销号", "关闭", "已拆除", "否")
"""What a ledger's 状态 column says of a source still to inspect, and of one no longer to inspect."""

INSPECTION_REASON_ROUTINE = "日常排查"
"""The reason shown for a routine inspection (campaign names come from plans/inspections.yaml)."""

INSPECTION_NOTICE_TITLE = "【隐患排查任务】{leader}：您负责的网格有{count}项排查任务（{day}）"
INSPECTION_NOTICE_LINE = "{n}. {code} {name}（{type}，{level}）{reason}，{starts}至{due}完成"
INSPECTION_NOTICE_MORE = "……另有{more}项，详见任务清单"
INSPECTION_NOTICE_UNASSIGNED = "应急管理办公室（未划入网格的风险点）"
"""The notice a grid leader (网格长) gets listing the inspections assigned by one planning run."""

HAZARD_GRADE_SHORT_LABELS: dict[HazardGrade, str] = {
    HazardGrade.GENERAL: "一般隐患",
    HazardGrade.MAJOR: "重大隐患",
}

COMPLETION_LABELS: dict[Completion, str] = {
    Completion.ON_TIME: "按时完成",
    Completion.LATE: "逾期完成",
    Completion.MISSING: "未完成",
    Completion.PENDING: "未到期",
}
"""How an inspection due in the month stands in the 隐患排查治理台账."""

AGE_BAND_LABELS: dict[str, str] = {
    "le7": "7天及以内",
    "d8_30": "8～30天",
    "d31_90": "31～90天",
    "gt90": "90天以上",
}
"""The ledger's age bands of open hazards (emergency.domain.ledgers.AGE_BANDS)."""

SUPERVISION_LABELS: dict[Supervision, str] = {
    Supervision.NOT_REPORTED: "未报告区政府",
    Supervision.SUPERVISED: "挂牌督办中",
    Supervision.LIFTED: "已销号摘牌",
}
"""A 重大隐患's 挂牌督办 status in the ledger."""

NO_COMMUNITY = "未明确社区"
"""The ledger's row for hazards recorded without a community or source."""

WARNING_LEVEL_LABELS: dict[WarningLevel, str] = {
    WarningLevel.BLUE: "蓝色",
    WarningLevel.YELLOW: "黄色",
    WarningLevel.ORANGE: "橙色",
    WarningLevel.RED: "红色",
}
"""预警级别 colours (四级预警: 蓝色、黄色、橙色、红色, 红色最高)."""

WARNING_LEVEL_GRADES: dict[WarningLevel, str] = {
    WarningLevel.BLUE: "IV级（一般）",
    WarningLevel.YELLOW: "III级（较重）",
    WarningLevel.ORANGE: "II级（严重）",
    WarningLevel.RED: "I级（特别严重）",
}
"""The grade each colour stands for (《国家突发公共事件总体应急预案》 3.1.1: I级 特别严重 … IV级 一般)."""

WARNING_STATUS_LABELS: dict[WarningStatus, str] = {
    WarningStatus.ACTIVE: "生效中",
    WarningStatus.LIFTED: "已解除",
    WarningStatus.CANCELLED: "已撤销",
}

WARNING_ORIGIN_LABELS: dict[WarningOrigin, str] = {
    WarningOrigin.UPSTREAM: "上级发布",
    WarningOrigin.MONITORING: "监测预警",
    WarningOrigin.OWN: "本级发布",
}

WARNING_ACTION_LABELS: dict[WarningAction, str] = {
    WarningAction.ISSUED: "发布",
    WarningAction.UPDATED: "更新",
    WarningAction.RAISED: "升级",
    WarningAction.LOWERED: "降级",
    WarningAction.LIFTED: "解除",
    WarningAction.CANCELLED: "撤销",
    WarningAction.IGNORED: "不予处理",
}

CAP_STATUS_LABELS: dict[CapStatus, str] = {
    CapStatus.ACTUAL: "实际",
    CapStatus.EXERCISE: "演练",
    CapStatus.SYSTEM: "系统",
    CapStatus.TEST: "测试",
    CapStatus.DRAFT: "草稿",
}

CAP_MSG_TYPE_LABELS: dict[CapMsgType, str] = {
    CapMsgType.ALERT: "发布",
    CapMsgType.UPDATE: "更新",
    CapMsgType.CANCEL: "解除",
    CapMsgType.ACK: "确认",
    CapMsgType.ERROR: "错误",
}
"""How GB/T 35965.1 and Chinese feeds name the CAP message types (Cancel = 解除)."""

AREA_MATCH_LABELS: dict[AreaMatch, str] = {
    AreaMatch.MATCHED: "涉及本街道",
    AreaMatch.OUTSIDE: "不涉及本街道",
    AreaMatch.UNSPECIFIED: "未指明区域",
}

RECIPIENT_KIND_LABELS: dict[RecipientKind, str] = {
    RecipientKind.COMMUNITY: "社区",
    RecipientKind.GRID: "网格",
}

ACK_CHANNEL_LABELS: dict[AckChannel, str] = {
    AckChannel.CLI: "系统签收",
    AckChannel.CALLBACK: "回执链接签收",
}

MONITORING_KIND_LABELS: dict[MonitoringKind, str] = {
    MonitoringKind.WATER_LEVEL: "积水水位",
    MonitoringKind.GAS_CONCENTRATION: "燃气浓度",
    MonitoringKind.RAINFALL: "降雨量",
}

MONITORING_WARNING_HEADLINE = "{sender}发布{type}{colour}预警（{point}）"
"""The headline of a monitoring point's warning (…发布城市内涝黄色预警（万福街铁路桥下低洼路段积水监测）)."""

MONITORING_WARNING_DESCRIPTION = ("{point}（{location}）{kind}监测值{value}{unit}（{time}）。{colour}预警：达到{raise_at}{unit}"
                                  "发布，低于{clear_below}{unit}解除（依据：{source}）。")
"""The description of a monitoring point's warning: the reading that set the level and the level's thresholds."""

RECTIFICATION_LABEL = "隐患{number}整改"
"""The label of a hazard's rectification obligation (its deadline clock)."""

RECTIFICATION_CLOCK_MESSAGES: dict[str, str] = {
    "reminder": "【整改提醒】{label}：整改期限{due}，尚未复查销号；请{recipient}督促责任单位按期整改（{rule}）。",
    "breach": "【整改逾期】{label}：整改期限{due}已过，尚未复查销号；请{recipient}督促整改并组织复查验收。",
    "escalation": "【逾期升级督办】{label}：整改期限{due}已过仍未销号，请{recipient}督办。",
}
"""The clocks' messages for a rectification deadline (never a 迟报: that is a reporting finding)."""

CLOCKS_ACTOR = "时限提醒系统"
"""Who a hazard's escalation step is recorded as taken by (the deadline clocks)."""

RECTIFICATION_NOTICE_TITLE = "隐患整改通知书"
RECTIFICATION_NOTICE_NUMBER = "正阳应急整改〔{year}〕{number}号"
"""The 整改通知书's title and 发文字号."""

RECTIFICATION_NOTICE_SUBJECT = "【隐患整改通知书】{owner_unit}：{description}（{number}），请于{deadline}前整改"
MAJOR_HAZARD_SUBJECT = "【重大事故隐患报告】{owner_unit}：{description}（{number}，挂牌督办）"
"""The outbox subjects of a 整改通知书 to the owner unit and of a 重大事故隐患 report to the district."""

DEFAULT_MEASURES = "立即组织整改，消除事故隐患；整改期间采取相应的安全防范措施，防止事故发生"
DEFAULT_RESPONSIBLE = "你单位主要负责人"
"""What the 整改通知书 says where the finding named no measures or responsible person."""

SUPERVISED_MARK = "挂牌督办"
"""How a 重大事故隐患 reported to the district is marked in lists."""

OWN_WARNING_HEADLINE = "{sender}发布{type}{colour}预警"
"""The headline of a warning the office issues itself (e.g. 长春市绿园区正阳街道办事处发布城市内涝橙色预警)."""

WARNING_NOTICE_TITLES: dict[WarningAction, str] = {
    WarningAction.ISSUED: "关于{type}{colour}预警的通知",
    WarningAction.UPDATED: "关于{type}{colour}预警更新的通知",
    WarningAction.RAISED: "关于{type}预警升级为{colour}的通知",
    WarningAction.LOWERED: "关于{type}预警降级为{colour}的通知",
    WarningAction.LIFTED: "关于解除{type}{colour}预警的通知",
    WarningAction.CANCELLED: "关于撤销{type}{colour}预警的通知",
}
"""The title of a 预警信息通知 for each step of a warning passed down to communities and grids."""

WARNING_NOTICE_CHANGES: dict[WarningAction, str] = {
    WarningAction.ISSUED: "{at}，{sender}发布{type}{colour}预警",
    WarningAction.UPDATED: "{at}，{sender}更新了{type}{colour}预警的内容",
    WarningAction.RAISED: "{at}，{sender}将{type}预警由{previous}升级为{colour}",
    WarningAction.LOWERED: "{at}，{sender}将{type}预警由{previous}降级为{colour}",
    WarningAction.LIFTED: "{at}，{type}{colour}预警解除",
    WarningAction.CANCELLED: "{at}，{type}{colour}预警撤销（该预警系误发）",
}
"""The notice's first sentence: what happened to the warning."""

WARNING_NOTICE_NUMBER = "正阳应急预警〔{year}〕{number}号"
"""The 发文字号 of a 预警信息通知 (one number per step passed down; each community's and grid's copy shares it)."""

WARNING_NOTICE_SUBJECT = "【预警信息通知】{recipient}：{title}"
WARNING_NOTICE_MESSAGE = "{drill}{recipient}：{change}。{headline}。请于{deadline}前签收{how}。"
WARNING_NOTICE_LINK = "，签收链接：{link}"
WARNING_NOTICE_NO_LINK = "，电话告知街道应急值班室，由值班员登记签收"
"""The outbox subject of a notice and the short robot message that carries its acknowledgement link."""

WARNING_DRILL_MARK = "【演练】"
"""Marks a drill warning's robot message text (the robot channels mark the heading themselves)."""

WARNING_ACK_LABEL = "预警{warning}签收：{recipient}"
"""The label of a notice's acknowledgement obligation (its deadline clock)."""

WARNING_ACK_CLOCK_MESSAGES: dict[str, str] = {
    "reminder": "【预警签收提醒】{label}：应于{due}前签收，尚未签收；请{recipient}电话督促（{rule}）。",
    "breach": "【预警未签收】{label}：签收时限{due}已过仍未签收；请{recipient}立即电话通知并登记签收。",
    "escalation": "【预警未签收督办】{label}：签收时限{due}已过仍未签收，请{recipient}督办。",
}
"""The clocks' messages for an unacknowledged 预警信息通知 (never a 迟报: that is a reporting finding)."""

WARNING_NO_COLOUR = "未标明颜色级别"
"""Where a notice names a warning's colour and the upstream message gave none."""

PLAN_KIND_LABELS: dict[PlanKind, str] = {
    PlanKind.GENERAL: "总体应急预案",
    PlanKind.SPECIAL: "专项应急预案",
}

PLAN_REVIEW_REASON_LABELS: dict[PlanReviewReason, str] = {
    PlanReviewReason.CYCLE: "到期评估",
    PlanReviewReason.DRILL_GAP: "演练发现问题",
    PlanReviewReason.INCIDENT_GAP: "突发事件应对发现问题",
}

DRILL_KIND_LABELS: dict[DrillKind, str] = {
    DrillKind.TABLETOP: "桌面推演",
    DrillKind.FIELD: "实战演练",
}

DRILL_STATUS_LABELS: dict[DrillStatus, str] = {
    DrillStatus.SCHEDULED: "已计划",
    DrillStatus.HELD: "已举行",
    DrillStatus.CANCELLED: "已取消",
}

SUPPLY_MOVEMENT_LABELS: dict[SupplyMovementKind, str] = {
    SupplyMovementKind.IN: "入库",
    SupplyMovementKind.OUT: "出库",
    SupplyMovementKind.ISSUED: "调拨使用",
    SupplyMovementKind.RETURNED: "归还入库",
    SupplyMovementKind.WRITTEN_OFF: "报废核销",
    SupplyMovementKind.STOCKTAKE_ADJUST: "盘点调整",
}

SUPPORT_REQUEST_TITLE = "关于{incident}处置请求支援{kind}的请示"
SUPPORT_REQUEST_NUMBER = "正阳应急请〔{year}〕{number}号"
"""A 请示's title (one matter per document) and 发文字号."""

SUPPORT_REQUEST_SUBJECT = "【请示】{title}（{number}），请于{due}前答复"
"""The outbox subject of a 请示 sent to the district."""

SUPPORT_OBLIGATION_LABEL = "请示{number}待答复"
"""The clocks' label of a 请示's answer deadline."""

SUPPORT_DUE_IN_SOURCE = "请示时指定的答复时限（{by}，{hours}小时）"
"""Why a request's answer deadline is what it is when `--due-in` set it, not plans/support.yaml."""

SUPPORT_CLOCK_MESSAGES: dict[str, str] = {
    "reminder": "【请示催办提醒】{label}（{title}）：区里应于{due}前答复，尚未答复；请{recipient}电话催办（{rule}）。",
    "breach": "【请示超时未答复】{label}（{title}）：答复时限{due}已过；请{recipient}立即电话催办并登记答复。",
    "escalation": "【请示超时未答复督办】{label}（{title}）：答复时限{due}已过仍未答复，请{recipient}向区里督办。",
}
"""The clocks' messages for a 请示 the district has not answered (never a 迟报: the office is owed, not owing)."""

READINESS_TITLE = "{period}应急准备情况报告"
READINESS_QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")
"""The 应急准备情况报告's title, and the quarters it names (2026年第四季度)."""

READINESS_DUE_STATES: dict[str, str] = {
    "overdue": "已逾期{days}天",
    "flagged": "需评估（{reason}）",
    "soon": "{days}天后到期",
    "ok": "正常",
}
"""Where a plan's review or a plan's next drill stands at the report's cut-off."""

READINESS_ISSUES: dict[str, str] = {
    "plan_overdue": "{name}（{version}版）评估期限{due}已过，尚未完成评估修订。",
    "plan_flagged": "{name}（{version}版）因{reason}需要评估修订：{note}",
    "drill_overdue": "{name}按周期应于{due}前组织演练，尚未举行。",
    "drill_missed": "演练{number}（{title}）计划于{day}举行，{state}。",
    "supplies_short": "{count}种应急物资低于最低储备（见第四部分），应及时采购、调拨补足。",
    "supplies_expired": "{count}批应急物资已过期（见第四部分），应及时报废核销并补充。",
    "hazards_overdue": "截至统计时有{count}项隐患逾期未整改（其中重大隐患{major}项），应督促整改销号。",
    "reporting": "本期信息报送发现迟报{late}次、漏报{missing}次、谎报{false}次、瞒报{concealed}次，应对照整改。",
    "support_overdue": "{count}件支援请示超过答复时限仍未答复，应向区里催办。",
}
"""The 存在的问题 the readiness report lists, one sentence each."""

SUPPORT_KIND_LABELS: dict[SupportKind, str] = {
    SupportKind.PEOPLE: "人员",
    SupportKind.FUNDS: "资金",
    SupportKind.MATERIALS: "物资",
}

SUPPORT_STATUS_LABELS: dict[SupportStatus, str] = {
    SupportStatus.REQUESTED: "已请示",
    SupportStatus.ANSWERED: "已答复",
    SupportStatus.PARTLY_ANSWERED: "部分答复",
    SupportStatus.REFUSED: "不予支持",
    SupportStatus.CLOSED: "已办结",
}

SUPPLY_NO_BATCH = "无批号"
SUPPLY_NO_BATCH_EXPIRING = "无批号（有效期至{expires}）"
"""How a batch received without a batch number (批号) is shown: one such batch per expiry date."""

SUPPLY_MINIMUM_SOURCES: dict[str, str] = {
    "plan": "{plan}（{version}）",
    "plan_file": "{plan}（{version}，预案文件，尚无审批版本）",
    "catalogue": "应急物资储备目录",
    "office": "街道设定的最低库存",
}
"""Where an item's minimum stock comes from: a plan in force, the catalogue (plans/supplies.yaml, whose own source is
cited after it), the office."""

SUPPLIES_NOTICE_TITLE = "【应急物资储备提醒】{office}（{day}）：库存不足{short}项，临近有效期{near}批，已过有效期{expired}批"
SUPPLIES_NOTICE_SHORT = "一、库存不足（低于最低储备）"
SUPPLIES_NOTICE_SHORT_LINE = "{name}：现有{on_hand}{unit}，最低储备{minimum}{unit}，缺{shortfall}{unit}（依据：{sources}）"
SUPPLIES_NOTICE_STORE_LINE = "{store}：{name}现有{on_hand}{unit}，每个储备点至少{minimum}{unit}"
SUPPLIES_NOTICE_NEAR = "二、临近有效期（{days}天内，请轮换或调剂使用）"
SUPPLIES_NOTICE_NEAR_LINE = "{store}：{name}（批号{batch}）{quantity}{unit}，有效期至{expires}，还剩{days}天"
SUPPLIES_NOTICE_EXPIRED = "三、已过有效期（请报废核销并补充）"
SUPPLIES_NOTICE_EXPIRED_LINE = "{store}：{name}（批号{batch}）{quantity}{unit}，有效期至{expires}"
SUPPLIES_NOTICE_MORE = "……另有{more}项，详见 emergency supplies check"
"""The weekly supplies notice to the duty group (应急物资储备提醒): one per office and week, when anything is flagged."""

PLAN_DIFF_CHANGED = "{what}：{old} 改为 {new}"
PLAN_DIFF_ADDED = "新增{what}：{new}"
PLAN_DIFF_REMOVED = "删除{what}：{old}"
PLAN_DIFF_REORDERED = "{what}顺序：{old} 改为 {new}"
"""The sentences of `emergency plan diff`: what changed between two versions of a plan, in words."""

PLAN_DIFF_WHAT: dict[str, str] = {
    "id": "预案编号",
    "kind": "预案类别",
    "name_zh": "预案名称",
    "version": "版本",
    "source": "编制依据",
    "scope": "适用范围",
    "categories": "适用事件类别",
    "types": "适用事件类型",
    "review.every_years": "评估周期",
    "review.after_gap_days": "发现问题后评估时限",
    "review.source": "评估依据",
    "drills.every_months": "演练周期",
    "drills.kinds": "演练方式",
    "drills.source": "演练依据",
    "command.name_zh": "指挥机构",
    "command.commander": "总指挥",
    "command.deputies": "副总指挥",
    "command.office": "指挥部办公室",
    "group": "工作组",
    "role": "角色",
    "contact": "联系人",
    "level": "响应等级",
    "level.name_zh": "名称",
    "level.trigger_zh": "启动条件",
    "level.when": "判定规则",
    "level.decided_by": "启动决定人",
    "action": "处置措施",
    "reporting_chain": "报告对象",
    "supply": "应急物资",
}
"""What each part of a plan is called in the diff (响应等级 II级 启动条件：… 改为 …)."""

PLAN_DIFF_NONE = "（无）"
PLAN_DIFF_YEARS = "每{n}年"
PLAN_DIFF_MONTHS = "每{n}个月"
PLAN_DIFF_DAYS = "{n}日内"
PLAN_DIFF_MINUTES = "{n}分钟内"
PLAN_DIFF_NO_LIMIT = "无时限"
PLAN_CONDITION_ALWAYS = "其他情形（兜底）"
PLAN_CONDITION_SEVERITY = "事件等级达到{severity}及以上"
PLAN_CONDITION_FACTS = "{facts}"
PLAN_CONDITION_OR = "或"
PLAN_CONDITION_FACT_LABELS: dict[str, str] = {"deaths": "有人员死亡", "missing": "有人员失踪", "sensitive": "属敏感事件"}
"""A response level's machine rule (`when`) in words, for officials reading the diff."""

PLAN_REVIEW_LABEL = "{plan}评估"
"""The label of a plan's review obligation (its clock)."""

PLAN_REVIEW_CLOCK_MESSAGES: dict[str, str] = {
    "reminder": "【预案评估提醒】{label}：应于{due}前完成评估（{rule}）；请{recipient}组织评估，需要修订的修订后重新审批。",
    "breach": "【预案评估逾期】{label}：评估期限{due}已过；请{recipient}立即组织评估修订。",
    "escalation": "【预案评估逾期督办】{label}：评估期限{due}已过仍未完成，请{recipient}督办。",
}
"""The clocks' messages for a plan due for review (every 3 years, or flagged by a drill or an incident)."""

PLAN_VERSION_STATE_LABELS: dict[str, str] = {"in_force": "现行有效", "pending": "待生效", "superseded": "已废止"}
"""Where an approved plan version stands at a given instant."""

PLAN_NEVER_APPROVED = "尚无审批版本（emergency plan approve 后纳入评估提醒）"
"""A plan in plans/ with no approved version yet."""

PLAN_RESPONSE_LOCK = "应急响应：{plan} {version}（{state}，sha256 {sha}），{level}，启动于{at}"
PLAN_LOCK_APPROVED = "审批版本，{by}审批，{effective}起生效"
PLAN_LOCK_UNAPPROVED = "未经审批的预案文件"
"""How `incident show` names the plan version locked into the incident's response."""

DRILL_AUDIT_MARK = "【复盘审计】截至{at}："
DRILL_AUDIT_COUNTS = "应报{obligations}项，按时报告{on_time}项，迟报{late}项，未报{open}项。"
DRILL_AUDIT_CLEAN = "未发现迟报、漏报、谎报、瞒报。"
"""The audit's part of a replayed drill's evaluation (演练评估): counts, then each finding with its evidence."""

DRILL_PROBLEM_SOURCE = "{number}演练（{plan}，{kind}）发现的问题"
"""Where a hazard from a drill came from (its `found` event and the hazard list say so)."""

DRILL_PLAN_GAP_NOTE = "{number}演练（{held}）发现预案问题：{problem}"
"""Why a drill flagged its plan for review (plan_versions.review_note)."""

DRILL_DUE_STATE_LABELS: dict[str, str] = {"overdue": "已逾期", "due": "即将到期", "not_due": "未到期"}
"""A plan's drill cycle on `emergency drill list --due`."""
