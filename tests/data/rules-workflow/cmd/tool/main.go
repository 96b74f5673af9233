package main

import "example.com/app"

func main() {
	if err := app.Check(""); err != nil {
		panic(err)
	}
}
