package main

const version = "v1"
