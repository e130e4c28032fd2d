"""Pipes (``AWS::Pipes::Pipe``): SQS source, Step Functions target, batch size, invocation type."""

from __future__ import annotations

from .base import TemplateBase
from .loader import TemplateError
from .specs import PipeSpec


class PipesMixin(TemplateBase):
    def pipes(self) -> dict[str, PipeSpec]:
        specs: dict[str, PipeSpec] = {}
        for lid in self.logical_ids("AWS::Pipes::Pipe"):
            props = self.properties(lid)
            source_params = props.get("SourceParameters") or {}
            sqs_params = source_params.get("SqsQueueParameters") or {}
            target_params = props.get("TargetParameters") or {}
            sfn_params = target_params.get("StepFunctionStateMachineParameters") or {}
            source, target = str(props["Source"]), str(props["Target"])
            specs[lid] = PipeSpec(
                logical_id=lid,
                name=self.physical_name(lid),
                arn=str(self.get_att(lid, "Arn")),
                source_arn=source,
                source_logical_id=self._logical_of_arn(source),
                target_arn=target,
                target_logical_id=self._logical_of_arn(target),
                batch_size=int(sqs_params.get("BatchSize", 10)),
                maximum_batching_window_in_seconds=int(sqs_params.get("MaximumBatchingWindowInSeconds", 0)),
                invocation_type=str(sfn_params.get("InvocationType", "REQUEST_RESPONSE")),
                input_template=target_params.get("InputTemplate"),
                role_arn=str(props.get("RoleArn", "")),
                properties=props,
            )
        return specs

    def pipe(self) -> PipeSpec:
        pipes = self.pipes()
        if len(pipes) != 1:
            raise TemplateError(f"expected one pipe, found {sorted(pipes)}")
        return next(iter(pipes.values()))
