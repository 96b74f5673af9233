#!/bin/sh
# x_garbage - an exec plugin that answers something that is not JSON.
echo hello
