"""``--keep-running``: after the final screen, the emulator stays up and the local AWS is served on
loopback (moto's server, on the same in-process backends) until Ctrl-C; what to type to browse both."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .phases import ENRICH_FUNCTION
from .screen import Screen
from .target import Target

if TYPE_CHECKING:
    from .run import Demo


def keep_running(demo: Demo, aws: Any, target: Target) -> None:
    screen = demo.screen
    if demo.console_url:
        screen.section("The console (read-only, on loopback)")
        screen.line(f"  {demo.console_url}   IPAM, devices, DNS, search, executions as graphs, dead letters")
    if target.emulator is not None:
        _emulator_lines(screen, target)
    try:
        server = serve_local_aws(demo.args.aws_port)
    except Exception as exc:  # the emulator stays up either way
        screen.line(f"\n  (the local AWS cannot be served over HTTP: {exc})")
        return
    host, port = server.get_host_and_port()
    _local_aws_lines(screen, aws, f"http://{host}:{port}", demo.state_dir_option())
    from ipamsync_local.waiting import serve_until_stopped

    serve_until_stopped(server.stop)
    screen.line(
        "\nlocal AWS stopped" + (f"; the emulator keeps running at {target.url}" if target.emulator else "")
    )


def _emulator_lines(screen: Screen, target: Target) -> None:
    """Where the emulator is, and how to ask it (curl, EfficientIP's client)."""
    assert target.emulator is not None and target.emulator.proc is not None
    screen.section("The emulator keeps running")
    b64 = "$(printf %s '{}' | base64)"
    screen.line(f"  URL          {target.url}")
    screen.line(f"  credentials  {target.username} / {target.password}")
    screen.line(f"  CA           {target.ca_path}")
    screen.line(f"  stop it      kill {target.emulator.proc.pid}   (the next demo stops it too)")
    screen.line("  curl:")
    screen.line(
        f'    curl --cacert {target.ca_path} -H "X-IPM-Username: {b64.format(target.username)}" '
        f'-H "X-IPM-Password: {b64.format(target.password)}" \\'
    )
    screen.line(f"      '{target.url}/rest/hostdev_list?limit=5'")
    screen.line("  EfficientIP's client (SOLIDserverRest, in .venv):")
    host = target.url.removeprefix("https://")
    screen.line(
        "    .venv/bin/python -c 'from SOLIDserverRest import SOLIDserverRest as S; "
        f'c = S("{host}"); c.use_native_sds(user="{target.username}", password="{target.password}"); '
        f'c.set_certificate_file("{target.ca_path}"); '
        'print(c.query("ip_address_list", {"limit": 5}).json())\''
    )


def _local_aws_lines(screen: Screen, aws: Any, endpoint: str, sd: str) -> None:
    """How to drive the local AWS: the AWS CLI, ``ipamsync redrive``, ``ipamsync local``."""
    env = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=" + aws.context.region
    queue = aws.queue_url("EventQueue")
    screen.section(f"The local AWS is served on {endpoint} (Ctrl-C ends it)")
    screen.line(f"  export {env}")
    screen.line(
        f"  aws --endpoint-url {endpoint} ec2 describe-instances --query "
        "'Reservations[].Instances[].[InstanceId,State.Name,PrivateIpAddress]' --output text"
    )
    live = [i["instance_id"] for i in aws.fleet.instances() if i["state"] == "running"]
    if live:
        screen.line(
            f"  aws --endpoint-url {endpoint} ec2 stop-instances --instance-ids {live[0]}"
            "   (the pipeline syncs it)"
        )
    screen.line(
        f"  aws --endpoint-url {endpoint} sqs get-queue-attributes --queue-url {queue} --attribute-names All"
    )
    from ipamsync_local.cli import invocation

    ipamsync = invocation()
    screen.line(f"  {ipamsync} redrive --endpoint-url {endpoint} --event-queue-url {queue} \\")
    screen.line(f"      --dead-letter-queue-url {aws.queue_url('WorkflowDeadLetterQueue')} \\")
    screen.line(f"      --dead-letter-queue-url {aws.queue_url('EventDeadLetterQueue')} \\")
    screen.line(f"      --enrich-function {aws.lambdas.get(ENRICH_FUNCTION).name} --dry-run")
    screen.line(f"  {ipamsync} local executions{sd}")


def serve_local_aws(port: int = 0) -> Any:
    """moto's server on loopback, on the same in-process backends as the running ``LocalAws``
    (so the AWS CLI and ``ipamsync redrive --endpoint-url`` see and drive the demo's resources):
    :class:`ipamsync_local.aws.motohook.MotoServer`, started."""
    from ipamsync_local.aws.motohook import MotoServer

    server = MotoServer(port)
    server.start()
    return server
