#!/bin/sh
# licensecheck - an example exec plugin for golive (docs/plugins.md): reports
# each Go file whose first line is neither "// Copyright ..." nor
# "// SPDX-License-Identifier: ...". POSIX sh and sed only: golive sends one
# request as one line of compact JSON, with "files" as its last member.
req=$(cat)
case $req in
*'"hook":"describe"'*)
	echo '{"name":"licensecheck","version":"1.0","rewrites_args":false,"hooks":["analyze_file"]}'
	exit 0 ;;
*'"hook":"analyze_file"'*) ;;
*)	echo '{}'; exit 0 ;;
esac
# The JSON strings of "files", one a line, still escaped (and so safe to echo back).
files=$(printf '%s\n' "$req" | sed -n 's/.*"files":\["\(.*\)"\]}$/\1/p' | sed 's/","/\
/g')
diags='' log=''
while IFS= read -r f; do
	case $f in
	'') continue ;;
	*\\*) log="${log:+$log,}\"skipped a path with an escape in it\""; continue ;;
	esac
	[ -r "$f" ] || continue # a file gone is no finding
	first=''
	IFS= read -r first 2>/dev/null <"$f"
	case $first in
	'// Copyright'* | '// SPDX-License-Identifier'*) continue ;;
	esac
	diags="${diags:+$diags,}{\"file\":\"$f\",\"line\":1,\"col\":1,\"severity\":\"warning\",\"message\":\"no license header (// Copyright or // SPDX-License-Identifier on line 1)\"}"
done <<EOF2
$files
EOF2
printf '{"diagnostics":[%s],"log":[%s]}\n' "$diags" "$log"
