#!/bin/sh
# x_big - an exec plugin whose answer is larger than golive accepts (17 MiB > 16 MiB).
head -c 17825792 /dev/zero | tr '\0' ' '
echo '{}'
