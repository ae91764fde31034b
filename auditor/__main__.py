from auditor.cli import cli

cli(prog_name="auditor")
