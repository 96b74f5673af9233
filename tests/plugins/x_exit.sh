#!/bin/sh
# x_exit - an exec plugin that fails (exit status 3) without answering.
exit 3
