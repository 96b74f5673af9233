#!/bin/sh
# x_hang - an exec plugin that never answers: a background sleep and a
# foreground one. "<its pid> <background pid>" go to $X_HANG_PIDFILE, so
# that the test can check the whole process group was killed.
sleep 1000 &
[ -n "$X_HANG_PIDFILE" ] && echo "$$ $!" >"$X_HANG_PIDFILE"
sleep 1000
