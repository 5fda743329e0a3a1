"""What the one-workload side-by-side scripts (tables.py, svm.py) share: the repository root, a
Release build of the runner, and "run a process, parse the last JSON line it printed"."""
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_runner():
    """Builds src/Runner in Release; returns the command prefix that runs it (`dotnet fusion.dll`)."""
    subprocess.run(["dotnet", "build", "-c", "Release", "src/Runner", "-v", "q", "-nologo"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return ["dotnet", str(ROOT / "src/Runner/bin/Release/net10.0/fusion.dll")]


def run_json(cmd, env=None):
    """Runs cmd in the repository root and returns the last line of its stdout that is a JSON object."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])
