"""BPMN documents for the tests, written out so each test shows the process it runs."""

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
    'targetNamespace="http://channelhub.example/bpmn">\n'
)


def onboarding(condition: str = 'decision == "approve"', script: str = "") -> str:
    """Region manager reviews; if approved (``condition``) the brand admin decides; else rejected."""
    script_task = (
        f'<bpmn:scriptTask id="prepare" name="准备"><bpmn:incoming>f0</bpmn:incoming>'
        f"<bpmn:outgoing>f1</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="prepare"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="prepare" targetRef="region_review"/>'
        if script
        else '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="region_review"/>'
    )
    first = "f0" if script else "f1"
    return (
        HEAD
        + f"""  <bpmn:process id="onboarding" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_rm" name="region_manager"><bpmn:flowNodeRef>region_review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>director</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>{first}</bpmn:outgoing></bpmn:startEvent>
    {script_task}
    <bpmn:userTask id="region_review" name="区域经理审核"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="region_review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="区域经理同意?" default="f_reject"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_ok</bpmn:outgoing><bpmn:outgoing>f_reject</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_ok" sourceRef="gw" targetRef="director"><bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_reject" sourceRef="gw" targetRef="end"/>
    <bpmn:userTask id="director" name="渠道总监审批"><bpmn:incoming>f_ok</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="director" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f_reject</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def unknown_role_and_no_default() -> str:
    return (
        HEAD
        + """  <bpmn:process id="broken" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_x" name="chief_wizard"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="审核"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="金额判断"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>amount &lt;= 100</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:userTask id="orphan" name="孤立步骤"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def with_timers(remind: str = '"PT24H"', escalate: str = '"PT72H"') -> str:
    """Review by the region manager; remind after 24 h; after 72 h the brand admin takes over."""
    return (
        HEAD
        + f"""  <bpmn:process id="timed" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_rm" name="region_manager"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>boss</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="区域经理审核"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="remind" name="24小时提醒" attachedToRef="review" cancelActivity="false"><bpmn:outgoing>f3</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>{remind}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="escalate" name="72小时升级" attachedToRef="review"><bpmn:outgoing>f4</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>{escalate}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="reminded"/>
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="boss"/>
    <bpmn:userTask id="boss" name="上级审批"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="boss" targetRef="end"/>
    <bpmn:endEvent id="reminded"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def countersign(completion: str = "") -> str:
    """Finance and the region manager review in parallel; then every listed signer countersigns (会签)."""
    condition = f"<bpmn:completionCondition>{completion}</bpmn:completionCondition>" if completion else ""
    return (
        HEAD
        + f"""  <bpmn:process id="countersign" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_rm" name="region_manager"><bpmn:flowNodeRef>region_review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_fin" name="finance"><bpmn:flowNodeRef>finance_review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>committee</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="region_review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="finance_review"/>
    <bpmn:userTask id="region_review" name="区域经理审核"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="finance_review" name="财务审核"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="region_review" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="finance_review" targetRef="join"/>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="committee"/>
    <bpmn:userTask id="committee" name="评审委员会会签"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="assignee" name="assignee"/>
        <bpmn:outputDataItem id="vote" name="vote"/>
        {condition}
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f7" sourceRef="committee" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def committee(completion: str, passes: str, item: str = "assignee") -> str:
    """The listed signers countersign (会签); ``completion`` may end it early; ``passes`` decides.
    ``item`` is the id of the data item that holds each signer's username."""
    return (
        HEAD
        + f"""  <bpmn:process id="committee" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>vote</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vote"/>
    <bpmn:userTask id="vote" name="委员会会签"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>votes</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="{item}" name="{item}"/>
        <bpmn:outputDataItem id="ballot" name="ballot"/>
        <bpmn:completionCondition>{completion}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="vote" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="approved"><bpmn:conditionExpression>{passes}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="refuse"/>
    <bpmn:scriptTask id="refuse" name="未通过"><bpmn:incoming>f_no</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>outcome = "rejected"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="refuse" targetRef="rejected"/>
    <bpmn:endEvent id="approved"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="rejected"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def service_step(operation: str = "partners.activate_distributor") -> str:
    """The region manager reviews; if approved a service step calls ``operation``."""
    return (
        HEAD
        + f"""  <bpmn:process id="with_service" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_rm" name="region_manager"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="区域经理审核"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="activate"><bpmn:conditionExpression>decision == "approve"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end"/>
    <bpmn:serviceTask id="activate" name="启用经销商" implementation="{operation}"><bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="activate" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def auto_decided(outcome: str = "rejected", after: str = "hours(48)") -> str:
    """Finance reviews; if nobody decides within ``after`` the request is decided as ``outcome``."""
    return (
        HEAD
        + f"""  <bpmn:process id="auto" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_fin" name="finance"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" name="财务审核"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="timeout" name="超时自动处理" attachedToRef="review"><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{after}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="timeout" targetRef="decide"/>
    <bpmn:scriptTask id="decide" name="自动处理"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing><bpmn:script>outcome = "{outcome}"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="decide" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def routed_by_table() -> str:
    """A decision table (DMN) picks the approval level from amount and grade; the director or the
    region manager then decides."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://channelhub.example/bpmn">\n'
        """  <bpmn:process id="routed" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_rm" name="region_manager"><bpmn:flowNodeRef>region_review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_admin" name="brand_admin"><bpmn:flowNodeRef>director</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="level"/>
    <bpmn:businessRuleTask id="level" name="确定审批级别" camunda:decisionRef="approval_level"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f2" sourceRef="level" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="f_rm"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_dir</bpmn:outgoing><bpmn:outgoing>f_rm</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_dir" sourceRef="gw" targetRef="director"><bpmn:conditionExpression>approver == "director"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_rm" sourceRef="gw" targetRef="region_review"/>
    <bpmn:userTask id="director" name="渠道总监审批"><bpmn:incoming>f_dir</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="region_review" name="区域经理审核"><bpmn:incoming>f_rm</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="director" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="region_review" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    )


def approval_level_table(big_cell: str = "&gt;= 100000") -> str:
    """Amount at or above 100,000, or any amount for grade C, goes to the director."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="levels" name="审批级别" namespace="http://channelhub.example/dmn">
  <decision id="approval_level" name="审批级别">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in_amount" label="金额"><inputExpression id="e1" typeRef="number"><text>amount</text></inputExpression></input>
      <input id="in_grade" label="等级"><inputExpression id="e2" typeRef="string"><text>grade</text></inputExpression></input>
      <output id="out_approver" label="审批人" name="approver" typeRef="string"/>
      <rule id="r1"><inputEntry id="r1a"><text>{big_cell}</text></inputEntry><inputEntry id="r1b"><text>-</text></inputEntry><outputEntry id="r1o"><text>"director"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="r2a"><text>-</text></inputEntry><inputEntry id="r2b"><text>"C"</text></inputEntry><outputEntry id="r2o"><text>"director"</text></outputEntry></rule>
      <rule id="r3"><inputEntry id="r3a"><text>-</text></inputEntry><inputEntry id="r3b"><text>-</text></inputEntry><outputEntry id="r3o"><text>"region_manager"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
