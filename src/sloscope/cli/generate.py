"""``generate`` (rules, dashboards, Alertmanager, OpenSLO) and ``convert`` (other spec formats)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sloscope.cli.console import err, errors, escape, fail
from sloscope.cli.files import write_files
from sloscope.cli.options import OutputOption, WorkspaceOption, open_workspace, output_path

commands = typer.Typer()
"""This module's commands and groups; the root group builds one on demand."""


class GenerateKind(StrEnum):
    """What ``generate`` writes."""

    prometheus = "prometheus"
    prometheus_tests = "prometheus-tests"
    grafana = "grafana"
    alertmanager = "alertmanager"
    openslo = "openslo"


class ConvertTarget(StrEnum):
    """What ``convert`` writes."""

    sloscope = "sloscope"
    openslo = "openslo"


class RulesFormat(StrEnum):
    """How Prometheus rules are packaged."""

    rules = "rules"
    operator = "operator"


def _labels(pairs: list[str]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--label {pair!r}: write NAME=VALUE, e.g. --label team=payments")
        labels[key.strip()] = value
    return labels


@commands.command()
def generate(
    kind: Annotated[GenerateKind, typer.Argument(help="What to generate.")],
    output_text: OutputOption = None,
    fmt: Annotated[
        RulesFormat,
        typer.Option("--format", help="prometheus: a rules file, or a PrometheusRule object."),
    ] = RulesFormat.rules,
    exhausted_alert: Annotated[
        bool, typer.Option("--exhausted-alert", help="Also alert when the budget is spent.")
    ] = False,
    dashboard_url: Annotated[
        str | None,
        typer.Option(
            "--dashboard-url",
            help=(
                "Dashboard link for alerts; {service}, {slo}, {id} and {dashboard_uid} "
                "are filled in."
            ),
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="NAME=VALUE added to every rule (repeatable)."),
    ] = None,
    datasource_uid: Annotated[
        str | None, typer.Option("--datasource-uid", help="grafana: default Prometheus datasource.")
    ] = None,
    pager_receiver: Annotated[
        str, typer.Option("--pager-receiver", help="alertmanager: receiver of pages.")
    ] = "pager",
    ticket_receiver: Annotated[
        str, typer.Option("--ticket-receiver", help="alertmanager: receiver of tickets.")
    ] = "tickets",
    workspace: WorkspaceOption = None,
) -> None:
    """Prometheus rules and their promtool tests, Grafana dashboards, Alertmanager, OpenSLO."""
    output, into_folder = output_path(output_text)
    with errors():
        ws = open_workspace(workspace)
        result = ws.generate(
            kind.value,
            fmt=fmt.value,
            exhausted_alert=exhausted_alert,
            dashboard_url=dashboard_url,
            extra_labels=_labels(label or []),
            datasource_uid=datasource_uid,
            rules_file=(
                output.name if output and not (into_folder or output.is_dir()) else "slo-rules.yaml"
            ),
            pager_receiver=pager_receiver,
            ticket_receiver=ticket_receiver,
        )
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", markup=True)
        folder = into_folder or kind in (GenerateKind.grafana, GenerateKind.prometheus_tests)
        write_files(result.files, output, folder=folder)


@commands.command()
def convert(
    paths: Annotated[list[Path], typer.Argument(help="Spec files or folders, any format.")],
    to: Annotated[
        ConvertTarget, typer.Option("--to", help="sloscope (native) or openslo.")
    ] = ConvertTarget.sloscope,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write one file per service; default stdout."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write Sloth, Pyrra, slo-generator or OpenSLO specs as native (or OpenSLO) specs.

    Warnings about what changed on the way in become comments in the files.
    """
    with errors():
        ws = open_workspace(workspace)
        result = ws.convert(paths, to.value)
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", markup=True)
        if out_dir is None:
            sys.stdout.write("---\n".join(result.files.values()))
            return
        write_files(result.files, out_dir, folder=True)
