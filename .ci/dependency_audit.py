"""Known vulnerabilities in the installed dependencies, from PyPI's vulnerability data (the
`vulnerabilities` field of its JSON API, fed by the OSV database: what pip-audit's default
service reads).

Why not pip-audit itself: on our machines PyPI answers the project endpoint
(/pypi/NAME/json) but not the per-version one (/pypi/NAME/VERSION/json, 404) that pip-audit
asks, and OSV's API is out of reach, so pip-audit reports every package "not found on PyPI".
This asks the per-version endpoint first and, where that is missing, the project endpoint,
whose vulnerabilities are those of the latest release: exact when that is the installed one.

Exit 1 on any known vulnerability or on a failed lookup; a package whose installed version
can be checked by neither endpoint is listed, not failed (it is named in the output).
"""

import importlib.metadata
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PYPI = "https://pypi.org/pypi"
OWN = {"chapterhouse"}


def fetch(url: str, tries: int = 3) -> dict | None:
    for attempt in range(1, tries + 1):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - https
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if attempt == tries or error.code < 500:
                raise
        except (urllib.error.URLError, TimeoutError):
            if attempt == tries:
                raise
        time.sleep(2 * attempt)
    return None


def audit(name: str, version: str) -> tuple[str, str, list[dict] | None]:
    """(name, version, vulnerabilities), or None as the last item when it cannot be told."""
    data = fetch(f"{PYPI}/{name}/{version}/json")
    if data is None:
        data = fetch(f"{PYPI}/{name}/json")
        if data is None or data["info"]["version"] != version:
            return name, version, None
    return name, version, data.get("vulnerabilities") or []


def main() -> int:
    installed = {
        dist.metadata["Name"].lower(): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"] and dist.metadata["Name"].lower() not in OWN
    }
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda item: audit(*item), sorted(installed.items())))
    found = [(n, v, vulns) for n, v, vulns in results if vulns]
    unknown = [(n, v) for n, v, vulns in results if vulns is None]
    for name, version, vulns in found:
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fixed_in") or []) or "no fix yet"
            print(f"VULNERABLE {name}=={version}: {vuln.get('id')} (fixed in {fixed}) "
                  f"{vuln.get('summary') or vuln.get('details', '')[:120]}")
    for name, version in unknown:
        print(f"not auditable here: {name}=={version} (PyPI holds no data for this version)")
    audited = len(results) - len(unknown)
    print(f"{audited} of {len(results)} dependencies audited, "
          f"{sum(len(v) for _, _, v in found)} known vulnerabilities.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
