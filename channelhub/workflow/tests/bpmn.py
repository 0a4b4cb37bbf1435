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
