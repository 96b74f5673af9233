#!/usr/bin/env bash
# t90_dev_edit_poll: t90_dev_edit.sh again with the polling watcher
# (golive dev --poll 100ms, dev_lib.sh's GOLIVE_E2E_POLL): its "watch" line
# must say backend "poll" (dev_check_json), and every edit it
# makes must be seen as under inotify.
export GOLIVE_E2E_POLL=100ms
exec bash "$(dirname "$0")/t90_dev_edit.sh"
