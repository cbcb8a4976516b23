"""The deployments `emergency serve` registers: manual response and sign-off, scheduled reporting and audits."""

from __future__ import annotations

from datetime import timedelta

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.audit_flow import daily_audit, monthly_timeliness
from flows.delivery_flow import outbox_delivery
from flows.feed_flow import feed_poll
from flows.inspection_flow import inspection_planning
from flows.inspection_report_flow import inspection_report
from flows.monitoring_flow import monitoring_poll
from flows.readiness_report_flow import readiness_report
from flows.reporting_flow import incident_reporting
from flows.response_flow import incident_response
from flows.signoff_flow import report_signoff
from flows.supplies_flow import supplies_check
from flows.warning_notice_flow import warning_pass_down

TZ = "Asia/Shanghai"


def build_deployments() -> list[RunnerDeployment]:
    """Return every deployment, schedules in Asia/Shanghai."""
    built = [
        incident_response.to_deployment(name="response", description="应急响应：分级、启动预案响应、起草首报"),
        report_signoff.to_deployment(name="signoff", description="签发：签发人签发后报送区政府"),
        incident_reporting.to_deployment(name="reporting", schedules=[Interval(timedelta(minutes=5), timezone=TZ)],
                                         description="事件处置期间按规则起草续报、终报"),
        outbox_delivery.to_deployment(name="delivery", schedules=[Interval(timedelta(minutes=1), timezone=TZ)],
                                      description="发件箱投递（失败自动重试）"),
        daily_audit.to_deployment(name="daily-audit", schedules=[Cron("0 8 * * *", timezone=TZ)],
                                  description="每日信息报送审计"),
        monthly_timeliness.to_deployment(name="monthly-timeliness", schedules=[Cron("0 9 1 * *", timezone=TZ)],
                                         description="月度信息报送及时性考核通报（每月1日9时）"),
        inspection_planning.to_deployment(name="inspection", schedules=[Cron("0 7 * * *", timezone=TZ)],
                                          description="隐患排查计划：每日7时生成到期排查任务并通知网格长"),
        inspection_report.to_deployment(name="inspection-report", schedules=[Cron("30 9 1 * *", timezone=TZ)],
                                        description="隐患排查治理台账（每月1日9时30分，上月）"),
        # Water at a low point can rise a band within minutes in a rainstorm: poll the points every 2 minutes; upstream
        # warnings come through feeds polled every 5 minutes (conditional requests make an unchanged poll cheap).
        monitoring_poll.to_deployment(name="monitoring", schedules=[Interval(timedelta(minutes=2), timezone=TZ)],
                                      description="监测预警：轮询监测点读数，按阈值发布、升级、降级、解除预警"),
        feed_poll.to_deployment(name="feeds", schedules=[Interval(timedelta(minutes=5), timezone=TZ)],
                                description="上级预警信息：轮询订阅源，导入新的 CAP 预警消息"),
        # Whatever made a warning step (a feed, a monitoring point, the office by hand), it reaches the communities
        # and grids within a minute; red and orange must be acknowledged within 30 (plans/warning-notices.yaml).
        warning_pass_down.to_deployment(name="pass-down", schedules=[Interval(timedelta(minutes=1), timezone=TZ)],
                                        description="预警信息传递：新的预警及其升级、降级、解除转发至各社区、网格"),
        # Shortfalls and expiry move slowly: once a week, before the Monday meeting, is soon enough to restock.
        supplies_check.to_deployment(name="supplies", schedules=[Cron("0 8 * * 1", timezone=TZ)],
                                     description="应急物资储备检查：每周一8时提示库存不足、临近有效期和已过期物资"),
        # The 应急准备情况报告 sums up a quarter: on the 1st of January, April, July and October, the quarter before.
        readiness_report.to_deployment(name="readiness-report", schedules=[Cron("0 10 1 1,4,7,10 *", timezone=TZ)],
                                       description="应急准备情况报告（每季度首月1日10时，上季度）"),
    ]
    # to_deployment is sync here (called outside an event loop), so every item is a RunnerDeployment.
    return [d for d in built if isinstance(d, RunnerDeployment)]


def serve_all() -> None:
    """Register and serve every deployment until interrupted."""
    from prefect import serve

    serve(*build_deployments())
