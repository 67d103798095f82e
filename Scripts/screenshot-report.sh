#!/usr/bin/env bash
# Opens a Detox HTML report in headless Chromium (Debian's `chromium`), fails if the page does not
# load, and writes a PNG screenshot for a person to look at.
#   Scripts/screenshot-report.sh demo-out/report/report.html [out.png]
set -euo pipefail
report="${1:?usage: $0 REPORT.html [OUT.png]}"
out="${2:-${report%.html}.png}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    echo "chromium is not installed (apt-get install chromium)" >&2
    exit 1
fi
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
# The DOM dump fails (non-zero) if the page cannot be loaded or parsed.
"$browser" --headless --no-sandbox --disable-gpu --dump-dom "$url" > /dev/null
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 --screenshot="$out" "$url" 2>/dev/null
echo "screenshot: $out"
